"""Review statistics on hand-computed cases: Wilson intervals, agreement between reviewers, the judge's agreement
with them, and the Bradley-Terry ranking."""

import pytest

from domain.reviews import (
    bradley_terry,
    judge_agreement,
    judge_verdict,
    majority,
    ranking,
    reviewer_agreement,
    wilson_interval,
)


class TestWilsonInterval:
    def test_half(self) -> None:
        share = wilson_interval(4, 8)
        assert share is not None
        assert (share.value, share.ci_low, share.ci_high) == pytest.approx((0.5, 0.2152, 0.7848), abs=1e-4)

    def test_none_and_nearly_all(self) -> None:
        none = wilson_interval(0, 10)
        assert none is not None
        # z² / (n + z²) with z = 1.96: the upper end is above 0 even when nothing succeeded.
        assert (none.value, none.ci_low, none.ci_high) == pytest.approx((0.0, 0.0, 0.2775), abs=1e-4)
        nine = wilson_interval(9, 10)
        assert nine is not None
        assert (nine.ci_low, nine.ci_high) == pytest.approx((0.5958, 0.9821), abs=1e-4)

    def test_no_trials(self) -> None:
        assert wilson_interval(0, 0) is None


class TestReviewerAgreement:
    def test_cohens_kappa_for_two(self) -> None:
        # Agree on 3 of 4: observed 0.75; expected 0.5*0.5 + 0.25*0.5 = 0.375; kappa = 0.375 / 0.625 = 0.6.
        a = ["correct", "correct", "wrong", "partly"]
        b = ["correct", "correct", "wrong", "wrong"]
        verdicts = {(1, example): v for example, v in enumerate(a)} | {(2, example): v for example, v in enumerate(b)}
        verdicts[(1, 99)] = "wrong"  # reviewed by one only: not shared, not counted
        agreement = reviewer_agreement(verdicts)
        assert agreement is not None
        assert (agreement.method, agreement.shared_examples, agreement.reviewers) == ("cohen_kappa", 4, 2)
        assert agreement.value == pytest.approx(0.6)

    def test_krippendorffs_alpha_for_three_with_a_missing_review(self) -> None:
        # Coincidences: c-c 4, c-w 2+2, w-w 3 (n_c 6, n_w 5, n 11). Observed disagreement 4/11, expected
        # 2*6*5 / (11*10) = 6/11: alpha = 1 - (4/11) / (6/11) = 1/3.
        items = [("c", "c", "c"), ("c", "c", "w"), ("w", "w", "w"), ("c", "w", None)]
        verdicts = {
            (reviewer, example): label
            for example, labels in enumerate(items)
            for reviewer, label in enumerate(labels)
            if label is not None
        }
        agreement = reviewer_agreement(verdicts)
        assert agreement is not None
        assert (agreement.method, agreement.shared_examples, agreement.reviewers) == ("krippendorff_alpha", 4, 3)
        assert agreement.value == pytest.approx(1 / 3)

    def test_nothing_shared(self) -> None:
        assert reviewer_agreement({(1, 1): "correct", (2, 2): "wrong"}) is None


class TestJudgeAgreement:
    def test_scores_read_as_verdicts(self) -> None:
        assert [judge_verdict(s) for s in (1.0, 0.7, 0.69, 0.4, 0.39, 0.0)] == [
            "correct",
            "correct",
            "partly",
            "partly",
            "wrong",
            "wrong",
        ]

    def test_majority_skips_ties(self) -> None:
        assert majority(["wrong", "correct", "wrong"]) == "wrong"
        assert majority(["wrong", "correct"]) is None

    def test_rate_and_kappa(self) -> None:
        judge = judge_agreement(
            [("correct", "correct"), ("correct", "correct"), ("wrong", "wrong"), ("partly", "wrong")]
        )
        assert judge is not None
        assert (judge.agreement_rate, judge.examples) == (0.75, 4)
        assert judge.kappa == pytest.approx(0.6)
        assert judge_agreement([]) is None


class TestBradleyTerry:
    def test_equal_records_give_equal_strengths(self) -> None:
        wins = [(0, 1), (1, 0), (1, 2), (2, 1), (2, 0), (0, 2)]
        assert bradley_terry(3, wins) == pytest.approx([1 / 3] * 3, abs=1e-6)

    def test_two_models_strengths_are_their_win_shares(self) -> None:
        # With two models the MM fixed point is s0 / (s0 + s1) = wins0 / games (prior wins included).
        strengths = bradley_terry(2, [(0, 1)] * 3 + [(1, 0)])
        assert strengths[0] == pytest.approx(3.1 / 4.2)

    def test_ranking_best_first_with_intervals(self) -> None:
        wins = [(0, 1)] * 8 + [(1, 0)] * 2 + [(1, 2)] * 8 + [(2, 1)] * 2 + [(0, 2)] * 9 + [(2, 0)]
        ranked = ranking(3, wins)
        assert [s.model for s in ranked] == [0, 1, 2]
        for strength in ranked:
            assert strength.ci_low <= strength.value <= strength.ci_high
        assert ranking(3, wins) == ranked  # a fixed seed: the same intervals every time

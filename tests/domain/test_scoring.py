import math

import numpy as np
import pytest
import sacrebleu

from domain.scoring.bootstrap import aggregate, bootstrap_interval
from domain.scoring.classification import OTHER, ClassScores, classification_report, is_classification
from domain.scoring.compare import Change, Verdict, compare
from domain.scoring.metrics import (
    METRICS,
    SCORERS,
    answer_length,
    bleu,
    chrf,
    exact_match,
    rouge_l,
    score_example,
    token_f1,
)
from domain.scoring.normalise import normalise, words


class TestNormalise:
    def test_case_spacing_and_surrounding_punctuation(self) -> None:
        assert normalise("  «Paris.»  ") == "paris"
        assert normalise("New \t York\n") == "new york"

    def test_unicode_forms(self) -> None:
        assert normalise("ＰＡＲＩＳ") == "paris"  # full-width letters (NFKC)
        assert normalise("Straße") == normalise("STRASSE")  # casefold, not lower

    def test_inner_punctuation_and_symbols_stay(self) -> None:
        assert normalise("U.S.") == "u.s"
        assert normalise("$5") == "$5"


class TestWords:
    def test_punctuation_separates(self) -> None:
        assert words("Hello, world! It's 2024.") == ["hello", "world", "it", "s", "2024"]

    def test_non_ascii_scripts(self) -> None:
        assert words("Привет, МИР") == ["привет", "мир"]
        # Devanagari vowel signs are combining marks: they stay inside their word.
        assert words("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]


class TestExactMatch:
    @pytest.mark.parametrize(
        ("generated", "expected"),
        [
            (" Paris. ", "paris"),
            ("«Paris»", "PARIS"),
            ("ＰＡＲＩＳ", "paris"),
            ("Straße", "STRASSE"),
            ("New   York", "new york"),
            ("Καλημέρα!", "καλημέρα"),
            ("", "..."),
        ],
    )
    def test_equal_after_normalisation(self, generated: str, expected: str) -> None:
        assert exact_match(generated, expected) == 1.0

    @pytest.mark.parametrize(
        ("generated", "expected"), [("$5", "5"), ("Paris, France", "Paris France"), ("Paris", "Paris is")]
    )
    def test_different(self, generated: str, expected: str) -> None:
        assert exact_match(generated, expected) == 0.0


class TestTokenF1:
    def test_repeated_words_count_once_per_match(self) -> None:
        # Shared: the (1, not 2: "a" in expected), cat, on, mat = 4 of 6 words each way.
        assert token_f1("the cat sat on the mat", "the cat lay on a mat") == pytest.approx(2 / 3)

    def test_precision_and_recall_differ(self) -> None:
        # Shared 2: precision 2/3, recall 2/4, F1 = 2 * (2/3 * 1/2) / (2/3 + 1/2) = 4/7.
        assert token_f1("α β γ", "α β δ ε") == pytest.approx(4 / 7)

    def test_order_ignored_and_normalised(self) -> None:
        assert token_f1("Мир, привет!", "привет мир") == 1.0

    def test_empty_answers(self) -> None:
        assert token_f1("", "") == 1.0
        assert token_f1("", "Paris") == 0.0
        assert token_f1("London", "Paris") == 0.0


class TestRougeL:
    def test_identical_non_ascii_answers(self) -> None:
        # rouge-score's default tokenizer drops these letters and would score 0.
        assert rouge_l("Καλημέρα κόσμε", "Καλημέρα κόσμε") == 1.0
        assert rouge_l("Привет, мир!", "привет мир") == 1.0

    def test_partial_overlap(self) -> None:
        # LCS = кошка на ковре (3): precision 3/4, recall 3/5, F = 2 * 0.45 / 1.35 = 2/3.
        assert rouge_l("кошка сидит на ковре", "кошка спит на ковре сегодня") == pytest.approx(2 / 3)

    def test_order_matters(self) -> None:
        # Same words, but the longest common subsequence is καλημέρα φίλε: 2 of 3.
        assert rouge_l("κόσμε καλημέρα φίλε", "καλημέρα φίλε κόσμε") == pytest.approx(2 / 3)

    def test_empty_answers(self) -> None:
        assert rouge_l("", "") == 1.0
        assert rouge_l("", "Paris") == 0.0


class TestChrf:
    def test_sacrebleu_score_over_100(self) -> None:
        expected = sacrebleu.sentence_chrf("the cat sat", ["the cat sat down"]).score / 100
        assert chrf("the cat sat", "the cat sat down") == pytest.approx(expected)
        assert 0 < expected < 1

    def test_identical_and_disjoint(self) -> None:
        assert chrf("Привет мир", "Привет мир") == pytest.approx(1.0)
        assert chrf("abc", "xyz") == 0.0


class TestBleu:
    def test_effective_order_with_brevity_penalty(self) -> None:
        # 1-, 2- and 3-gram precisions are all 1 (no 4-grams: effective order); brevity penalty exp(1 - 4/3).
        assert bleu("the cat sat", "the cat sat down") == pytest.approx(math.exp(-1 / 3))

    def test_identical_short_answers(self) -> None:
        assert bleu("Paris", "Paris") == 1.0
        assert bleu("Καλημέρα κόσμε", "Καλημέρα κόσμε") == 1.0

    def test_disjoint(self) -> None:
        assert bleu("London", "Paris") == 0.0


class TestAnswerLength:
    def test_counts_generated_words(self) -> None:
        assert answer_length("Hello, world!", "ignored entirely") == 2.0
        assert answer_length("", "Paris") == 0.0


class TestMetrics:
    def test_registry(self) -> None:
        assert list(SCORERS) == ["exact_match", "token_f1", "rouge_l", "chrf", "bleu", "answer_length"]
        assert list(METRICS) == [*SCORERS, "judge_score"]  # given by a judge, not computed here
        assert METRICS["judge_score"].score is None
        assert METRICS["answer_length"].higher_is_better is None
        assert all(METRICS[name].higher_is_better for name in METRICS if name != "answer_length")
        assert all(metric.description and "\n" not in metric.description for metric in METRICS.values())

    def test_score_example(self) -> None:
        assert score_example("Paris.", "paris", ["exact_match", "answer_length"]) == {
            "exact_match": 1.0,
            "answer_length": 1.0,
        }
        assert set(score_example("a", "b")) == set(SCORERS)
        for not_computed in ("accuracy", "judge_score"):
            with pytest.raises(KeyError):
                score_example("a", "b", [not_computed])


class TestIsClassification:
    def test_few_labels_each_seen_twice(self) -> None:
        assert is_classification(["positive", "negative", "Positive.", "NEGATIVE", "neutral", "neutral"])

    def test_a_label_seen_once(self) -> None:
        assert not is_classification(["yes", "yes", "no"])

    def test_one_label(self) -> None:
        assert not is_classification(["yes", "yes", "yes"])

    def test_too_many_labels(self) -> None:
        assert not is_classification([f"label {i}" for i in range(21)] * 2)
        assert is_classification([f"label {i}" for i in range(20)] * 2)

    def test_long_or_empty_answers(self) -> None:
        assert not is_classification(["the answer is clearly yes here", "no"] * 2)
        assert not is_classification(["", "no"] * 2)
        assert not is_classification([])


class TestClassificationReport:
    def test_hand_checked_confusion_matrix(self) -> None:
        expected = ["cat", "cat", "cat", "dog", "dog", "dog"]
        generated = ["Cat", "cat.", "dog", "dog", "DOG", "a fish"]
        report = classification_report(generated, expected)

        assert report.labels == ("cat", "dog")
        assert report.columns == ("cat", "dog", OTHER)
        assert report.confusion == ((2, 1, 0), (0, 2, 1))
        assert report.accuracy == pytest.approx(4 / 6)
        # cat: answered twice, both right; 2 of 3 found. F1 = 2*2 / (2 + 3).
        assert report.per_class["cat"] == ClassScores(precision=1.0, recall=pytest.approx(2 / 3), f1=0.8, support=3)
        # dog: answered 3 times (one was a cat), 2 of 3 found.
        dog = report.per_class["dog"]
        assert (dog.precision, dog.recall, dog.f1, dog.support) == pytest.approx((2 / 3, 2 / 3, 2 / 3, 3))
        assert report.macro_f1 == pytest.approx((0.8 + 2 / 3) / 2)

    def test_a_label_never_answered(self) -> None:
        report = classification_report(["yes", "yes"], ["yes", "no"])
        assert report.per_class["no"] == ClassScores(precision=0.0, recall=0.0, f1=0.0, support=1)

    def test_mismatched_or_empty(self) -> None:
        with pytest.raises(ValueError):
            classification_report(["yes"], ["yes", "no"])
        with pytest.raises(ValueError):
            classification_report([], [])


class TestBootstrapInterval:
    def test_deterministic_under_a_seed(self) -> None:
        values = np.random.default_rng(0).random(50).tolist()
        assert bootstrap_interval(values, seed=7) == bootstrap_interval(values, seed=7)
        assert bootstrap_interval(values, seed=7) != bootstrap_interval(values, seed=8)

    def test_constant_values(self) -> None:
        assert bootstrap_interval([0.5] * 10, seed=0) == pytest.approx((0.5, 0.5))

    def test_too_few_values(self) -> None:
        assert bootstrap_interval([], seed=0) is None
        assert bootstrap_interval([1.0], seed=0) is None


class TestAggregate:
    def test_interval_contains_the_mean(self) -> None:
        # 3000 examples: the resamples are drawn in several batches.
        values = np.random.default_rng(1).random(3000)
        result = aggregate(values, seed=0)
        assert result.value == pytest.approx(values.mean())
        assert result.ci_low is not None and result.ci_high is not None
        assert result.ci_low < result.value < result.ci_high
        assert result.ci_high - result.ci_low < 0.05  # ~4 standard errors of 0.29 / sqrt(3000)

    def test_deterministic_under_a_seed(self) -> None:
        values = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0]
        assert aggregate(values, seed=3) == aggregate(values, seed=3)

    def test_no_examples_and_one(self) -> None:
        empty = aggregate([], seed=0)
        assert (empty.value, empty.ci_low, empty.ci_high) == (None, None, None)
        one = aggregate([0.25], seed=0)
        assert (one.value, one.ci_low, one.ci_high) == (0.25, None, None)


class TestCompare:
    def test_interval_crossing_zero_is_no_clear_change(self) -> None:
        a = {"exact_match": [1.0, 0.0] * 10}
        b = {"exact_match": [0.0, 1.0] * 10}
        result = compare(a, b, seed=0)

        metric = result.metrics["exact_match"]
        assert (metric.a, metric.b, metric.difference) == (0.5, 0.5, 0.0)
        assert metric.ci_low is not None and metric.ci_high is not None
        assert metric.ci_low < 0 < metric.ci_high
        assert metric.verdict == Verdict.NO_CLEAR_CHANGE
        assert [e.changes["exact_match"] for e in result.examples[:2]] == [Change.WORSE, Change.BETTER]

    def test_clear_improvement_is_better(self) -> None:
        # Scores spread widely across examples, each up by 0.05 to 0.15: apart, A's and B's intervals overlap;
        # paired, every difference is positive.
        a_values = np.random.default_rng(2).random(40) * 0.8
        gains = np.random.default_rng(3).uniform(0.05, 0.15, 40)
        a, b = {"token_f1": a_values.tolist()}, {"token_f1": (a_values + gains).tolist()}
        result = compare(a, b, seed=0)

        metric = result.metrics["token_f1"]
        assert metric.difference == pytest.approx(gains.mean())
        assert metric.ci_low is not None and metric.ci_low > 0
        assert metric.verdict == Verdict.BETTER
        a_ci, b_ci = aggregate(a["token_f1"], seed=0), aggregate(b["token_f1"], seed=0)
        assert a_ci.ci_high is not None and b_ci.ci_low is not None and b_ci.ci_low < a_ci.ci_high
        assert compare(b, a, seed=0).metrics["token_f1"].verdict == Verdict.WORSE

    def test_answer_length_has_no_better_side(self) -> None:
        a = {"answer_length": [3.0, 4.0, 5.0, 6.0]}
        b = {"answer_length": [13.0, 14.0, 15.0, 6.0]}
        result = compare(a, b, seed=0)
        assert result.metrics["answer_length"].verdict == Verdict.CHANGED
        assert [e.changes["answer_length"] for e in result.examples] == [Change.CHANGED] * 3 + [Change.SAME]
        assert result.most_changed == ()  # length alone is no regression nor improvement

    def test_per_example_changes_and_most_changed(self) -> None:
        a = {"exact_match": [1.0, 0.0, 1.0, 0.0, 0.5], "rouge_l": [0.9, 0.2, 0.5, 0.5, 0.5]}
        b = {"exact_match": [0.0, 1.0, 1.0, 0.0, 0.5 + 1e-12], "rouge_l": [0.4, 0.5, 0.3, 0.5, 0.5]}
        result = compare(a, b, seed=0, top=3)

        first = result.examples[0]
        assert first.differences == pytest.approx({"exact_match": -1.0, "rouge_l": -0.5})
        assert first.changes == {"exact_match": Change.WORSE, "rouge_l": Change.WORSE}
        assert result.examples[4].changes == {"exact_match": Change.SAME, "rouge_l": Change.SAME}
        # Regressions first, largest drop first (-1.5, then -0.2), then the gain (+1.3); only 3 listed.
        assert result.most_changed == (0, 2, 1)

    def test_metrics_in_one_evaluation_only_are_left_out(self) -> None:
        result = compare({"bleu": [0.1, 0.2], "chrf": [0.3, 0.4]}, {"chrf": [0.3, 0.5]}, seed=0)
        assert list(result.metrics) == ["chrf"]

    def test_an_example_without_a_score_is_left_out_of_that_metric_only(self) -> None:
        # A judge gave no score to example 1 in A and example 2 in B: judge_score pairs examples 0 and 3.
        a = {"judge_score": [0.2, None, 0.4, 0.6], "exact_match": [0.0, 0.0, 1.0, 1.0]}
        b = {"judge_score": [0.8, 0.5, None, 0.6], "exact_match": [1.0, 0.0, 1.0, 1.0]}
        result = compare(a, b, seed=0)

        judge = result.metrics["judge_score"]
        assert (judge.a, judge.b) == pytest.approx((0.4, 0.7))
        assert judge.difference == pytest.approx(0.3)
        assert result.metrics["exact_match"].difference == pytest.approx(0.25)  # all four examples
        assert [set(e.differences) for e in result.examples] == [
            {"judge_score", "exact_match"},
            {"exact_match"},
            {"exact_match"},
            {"judge_score", "exact_match"},
        ]
        assert result.examples[0].net == pytest.approx(1.6)

    def test_one_example_has_no_interval(self) -> None:
        metric = compare({"bleu": [0.1]}, {"bleu": [0.9]}, seed=0).metrics["bleu"]
        assert metric.difference == pytest.approx(0.8)
        assert (metric.ci_low, metric.ci_high, metric.verdict) == (None, None, Verdict.NO_CLEAR_CHANGE)

    def test_refuses_unknown_metrics_and_unpaired_examples(self) -> None:
        with pytest.raises(ValueError, match="unknown metrics: accuracy"):
            compare({"accuracy": [1.0]}, {"accuracy": [1.0]}, seed=0)
        with pytest.raises(ValueError, match="different numbers of examples"):
            compare({"bleu": [0.1, 0.2]}, {"bleu": [0.1]}, seed=0)

import math

import pytest
import sacrebleu

from domain.scoring.classification import OTHER, ClassScores, classification_report, is_classification
from domain.scoring.metrics import (
    METRICS,
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
        assert list(METRICS) == ["exact_match", "token_f1", "rouge_l", "chrf", "bleu", "answer_length"]
        assert METRICS["answer_length"].higher_is_better is None
        assert all(METRICS[name].higher_is_better for name in METRICS if name != "answer_length")
        assert all(metric.description and "\n" not in metric.description for metric in METRICS.values())

    def test_score_example(self) -> None:
        assert score_example("Paris.", "paris", ["exact_match", "answer_length"]) == {
            "exact_match": 1.0,
            "answer_length": 1.0,
        }
        assert set(score_example("a", "b")) == set(METRICS)
        with pytest.raises(KeyError):
            score_example("a", "b", ["accuracy"])


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

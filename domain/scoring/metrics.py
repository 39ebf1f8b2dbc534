"""Per-example scorers, each `(generated, expected) -> float`, and the registry evaluations pick them from.

Every quality metric is on a 0-1 scale (sacrebleu's 0-100 chrF and BLEU are divided by 100, and so is a judge's
0-100 grade), so differences, bootstrap intervals and "which examples changed most" read the same across metrics.
answer_length is a count. judge_score has no scorer here: an LLM judge gives it (worker.judge), and only to the
examples it could judge.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rouge_score.rouge_scorer import RougeScorer
from sacrebleu.metrics import BLEU, CHRF

from domain.scoring.normalise import normalise, words

Scorer = Callable[[str, str], float]
JUDGE_SCORE = "judge_score"


def exact_match(generated: str, expected: str) -> float:
    return float(normalise(generated) == normalise(expected))


def token_f1(generated: str, expected: str) -> float:
    """SQuAD's token F1: the harmonic mean of precision and recall of the shared words, counted with repeats."""
    generated_words, expected_words = words(generated), words(expected)
    if not generated_words or not expected_words:
        return float(generated_words == expected_words)  # SQuAD: two empty answers agree, one empty scores 0
    shared = sum((Counter(generated_words) & Counter(expected_words)).values())
    if shared == 0:
        return 0.0
    precision, recall = shared / len(generated_words), shared / len(expected_words)
    return 2 * precision * recall / (precision + recall)


class _WordTokenizer:
    """rouge-score's default tokenizer keeps only [a-z0-9]: an identical Greek or Russian answer would score 0."""

    def tokenize(self, text: str) -> list[str]:
        return words(text)


_ROUGE = RougeScorer(["rougeL"], tokenizer=_WordTokenizer())
# One object each: sacrebleu builds its tokenizer and n-gram settings once. Effective order: a sentence shorter
# than 4 words is scored on the n-gram orders it has, instead of scoring 0 for lacking 4-grams.
_BLEU = BLEU(effective_order=True)
_CHRF = CHRF()


def _both_wordless(generated: str, expected: str) -> bool:
    # Two answers with no words (empty, or punctuation only) agree, as exact_match says; the libraries score 0.
    return not words(generated) and not words(expected)


def rouge_l(generated: str, expected: str) -> float:
    if _both_wordless(generated, expected):
        return 1.0
    return float(_ROUGE.score(target=expected, prediction=generated)["rougeL"].fmeasure)


def chrf(generated: str, expected: str) -> float:
    if _both_wordless(generated, expected):
        return 1.0
    return float(_CHRF.sentence_score(generated, [expected]).score) / 100


def bleu(generated: str, expected: str) -> float:
    if _both_wordless(generated, expected):
        return 1.0
    # min(): sacrebleu's geometric mean can land a hair above 100 for identical sentences.
    return min(1.0, float(_BLEU.sentence_score(generated, [expected]).score) / 100)


def answer_length(generated: str, expected: str) -> float:
    return float(len(words(generated)))


@dataclass(frozen=True)
class Metric:
    name: str
    description: str  # one line: what it measures, and its scale
    higher_is_better: bool | None  # None: neither way is better (a length describes an answer, it does not judge it)
    score: Scorer | None  # None: given from outside, by an LLM judge


METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (
        Metric(
            "exact_match",
            "1 when the answers are equal ignoring case, spacing, Unicode forms and surrounding punctuation, else 0.",
            True,
            exact_match,
        ),
        Metric("token_f1", "Word overlap (SQuAD token F1) after normalisation, 0-1.", True, token_f1),
        Metric("rouge_l", "Longest common word subsequence (ROUGE-L F-measure), any script, 0-1.", True, rouge_l),
        Metric("chrf", "Character n-gram F-score (sentence chrF, case-sensitive), divided by 100: 0-1.", True, chrf),
        Metric(
            "bleu",
            "Word n-gram precision (sentence BLEU, effective order, case-sensitive), divided by 100: 0-1.",
            True,
            bleu,
        ),
        Metric(
            "answer_length", "Words in the generated answer; neither more nor fewer is better.", None, answer_length
        ),
        Metric(
            JUDGE_SCORE,
            "An LLM judge's 0-100 grade against the expected answer, divided by 100: 0-1; over the examples it judged.",
            True,
            None,
        ),
    )
}
# The metrics every evaluation computes itself, on every answer.
SCORERS: dict[str, Scorer] = {name: metric.score for name, metric in METRICS.items() if metric.score is not None}


def score_example(generated: str, expected: str, names: Iterable[str] = SCORERS) -> dict[str, float]:
    """One example's score under each named metric. KeyError names an unknown (or judge-given) metric."""
    return {name: SCORERS[name](generated, expected) for name in names}

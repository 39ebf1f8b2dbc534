"""An evaluation's scoring: every example under every metric, and each metric's mean with its bootstrap interval."""

from dataclasses import asdict, dataclass
from typing import Any

from domain.scoring.bootstrap import aggregate
from domain.scoring.classification import is_classification
from domain.scoring.metrics import SCORERS, exact_match

# Classification-style answers (a small closed set of labels) are also scored as accuracy: the share of labels right.
ACCURACY = "accuracy"


@dataclass(frozen=True)
class ScoredAnswers:
    per_example: list[dict[str, float]]  # {metric: score}, in the examples' order
    metrics: dict[str, dict[str, Any]]  # {metric: {"value", "ci_low", "ci_high"}}


def score_answers(generated: list[str], expected: list[str], *, seed: int) -> ScoredAnswers:
    per_example = [
        {name: score(answer, reference) for name, score in SCORERS.items()}
        for answer, reference in zip(generated, expected, strict=True)
    ]
    if is_classification(expected):
        for scores, answer, reference in zip(per_example, generated, expected, strict=True):
            scores[ACCURACY] = exact_match(answer, reference)
    names = list(per_example[0]) if per_example else list(SCORERS)
    metrics = {name: asdict(aggregate([scores[name] for scores in per_example], seed=seed)) for name in names}
    return ScoredAnswers(per_example, metrics)

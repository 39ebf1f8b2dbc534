"""Two evaluations of the same examples, A then B, compared metric by metric and example by example (paired).

Pairing: each example is scored under both, so the bootstrap resamples example indices and takes the same indices
from A and B. The mean difference over resampled indices is the mean of the resampled per-example differences,
which is how it is computed.

Verdicts: a quality metric is BETTER or WORSE when its whole 95% interval of B - A lies on one side of zero, and
NO_CLEAR_CHANGE when the interval touches or crosses zero (or there are fewer than 2 examples). answer_length has
no better side: CHANGED when the interval excludes zero (the difference's sign says longer or shorter), else
NO_CLEAR_CHANGE; per example it is CHANGED or SAME.

A score may be missing (None): a judge that gave an answer no score. Such an example is left out of that metric
only: its means, difference and interval are over the examples scored in both A and B.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.scoring.bootstrap import RESAMPLES, bootstrap_interval, mean
from domain.scoring.metrics import METRICS

# Per-example differences smaller than this are float noise: the same answer scored twice.
SAME_TOLERANCE = 1e-9
MOST_CHANGED = 10


class Verdict(StrEnum):
    BETTER = "better"
    WORSE = "worse"
    NO_CLEAR_CHANGE = "no_clear_change"
    CHANGED = "changed"  # a metric with no better side (answer_length) whose interval excludes zero


class Change(StrEnum):
    BETTER = "better"
    SAME = "same"
    WORSE = "worse"
    CHANGED = "changed"  # a metric with no better side, changed by more than SAME_TOLERANCE


@dataclass(frozen=True)
class MetricComparison:
    a: float | None  # the means; None without examples
    b: float | None
    difference: float | None  # b - a
    ci_low: float | None  # the paired bootstrap's 95% interval of the difference; None with fewer than 2 examples
    ci_high: float | None
    verdict: Verdict


@dataclass(frozen=True)
class ExampleChange:
    index: int
    differences: dict[str, float]  # b - a per metric
    changes: dict[str, Change]
    # The quality metrics' differences added up with the sign of "better" (all are 0-1): below 0 a regression.
    net: float


@dataclass(frozen=True)
class Comparison:
    metrics: dict[str, MetricComparison]
    examples: tuple[ExampleChange, ...]  # every example, in order
    most_changed: tuple[int, ...]  # indices: regressions first, the largest drop first, then the largest gains


def _verdict(higher_is_better: bool | None, interval: tuple[float, float] | None) -> Verdict:
    if interval is None or interval[0] <= 0 <= interval[1]:
        return Verdict.NO_CLEAR_CHANGE
    if higher_is_better is None:
        return Verdict.CHANGED
    return Verdict.BETTER if (interval[0] > 0) == higher_is_better else Verdict.WORSE


def _change(higher_is_better: bool | None, difference: float) -> Change:
    if abs(difference) < SAME_TOLERANCE:
        return Change.SAME
    if higher_is_better is None:
        return Change.CHANGED
    return Change.BETTER if (difference > 0) == higher_is_better else Change.WORSE


def compare(
    a_scores: Mapping[str, Sequence[float | None]],
    b_scores: Mapping[str, Sequence[float | None]],
    *,
    seed: int,
    resamples: int = RESAMPLES,
    top: int = MOST_CHANGED,
    higher_is_better: Mapping[str, bool | None] | None = None,
) -> Comparison:
    """Per-example scores by metric name (domain.scoring.metrics), the same examples in the same order in A and B,
    None where an example has no score. Metrics scored in only one of them are left out; `top`: how many examples
    most_changed lists; `higher_is_better`: each metric's better side, for scores that are not in METRICS
    (multiple-choice accuracy). ValueError for an unknown metric or differing lengths."""
    better = higher_is_better or {name: metric.higher_is_better for name, metric in METRICS.items()}
    names = [name for name in a_scores if name in b_scores]
    unknown = [name for name in names if name not in better]
    if unknown:
        raise ValueError(f"unknown metrics: {', '.join(unknown)}")
    lengths = {len(scores) for name in names for scores in (a_scores[name], b_scores[name])}
    if len(lengths) > 1:
        raise ValueError(f"the evaluations score different numbers of examples: {sorted(lengths)}")
    n = lengths.pop() if lengths else 0

    # Per metric, (example index, a, b) for the examples scored in both.
    pairs: dict[str, list[tuple[int, float, float]]] = {
        name: [
            (index, a, b)
            for index, (a, b) in enumerate(zip(a_scores[name], b_scores[name], strict=True))
            if a is not None and b is not None
        ]
        for name in names
    }
    differences = {name: {index: b - a for index, a, b in pairs[name]} for name in names}
    metrics = {}
    for name in names:
        # One seed for every metric: each is resampled over the same resampled test sets.
        interval = bootstrap_interval(list(differences[name].values()), seed=seed, resamples=resamples)
        metrics[name] = MetricComparison(
            a=mean([a for _, a, _ in pairs[name]]),
            b=mean([b for _, _, b in pairs[name]]),
            difference=mean(list(differences[name].values())),
            ci_low=interval[0] if interval else None,
            ci_high=interval[1] if interval else None,
            verdict=_verdict(better[name], interval),
        )

    examples = []
    for index in range(n):
        example = {name: differences[name][index] for name in names if index in differences[name]}
        net = sum(delta if better[name] else -delta for name, delta in example.items() if better[name] is not None)
        changes = {name: _change(better[name], delta) for name, delta in example.items()}
        examples.append(ExampleChange(index, example, changes, net))
    changed = [example for example in examples if abs(example.net) >= SAME_TOLERANCE]
    # Regressions (net < 0) sort first, each group by the size of its change.
    changed.sort(key=lambda example: (example.net > 0, -abs(example.net)))
    return Comparison(metrics, tuple(examples), tuple(example.index for example in changed[:top]))

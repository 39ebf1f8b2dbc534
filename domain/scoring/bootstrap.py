"""A metric's value over a test set, the mean of its per-example scores, with a 95% percentile bootstrap interval.

Every metric aggregates the same way, BLEU and chrF included: the mean of sentence scores, not a corpus score, so
that each example carries one number that can be resampled and compared.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95
RESAMPLES = 1000
# Resampled indices drawn at a time (8 bytes each): 1000 resamples of a 10,000-example test set take 80 MB in one
# draw, and this bound keeps it to 8 MB.
MAX_DRAWS = 1_000_000


@dataclass(frozen=True)
class Aggregate:
    value: float | None  # the mean; None without examples
    ci_low: float | None  # None with fewer than 2 examples: one example has no spread to resample
    ci_high: float | None


def bootstrap_interval(values: Sequence[float], *, seed: int, resamples: int = RESAMPLES) -> tuple[float, float] | None:
    """The central CONFIDENCE percentile interval of the means of `resamples` resampled copies of `values` (drawn
    with replacement, same size). The same seed and values give the same interval. None for fewer than 2 values."""
    n = len(values)
    if n < 2:
        return None
    array = np.asarray(values, dtype=np.float64)
    rng = np.random.Generator(np.random.PCG64(seed))
    means = np.empty(resamples)
    per_draw = max(1, MAX_DRAWS // n)
    for start in range(0, resamples, per_draw):
        stop = min(resamples, start + per_draw)
        means[start:stop] = array[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def mean(values: Sequence[float]) -> float | None:
    # len(), not `not values`: a numpy array has no truth value.
    return float(np.mean(values)) if len(values) else None


def aggregate(values: Sequence[float], *, seed: int, resamples: int = RESAMPLES) -> Aggregate:
    interval = bootstrap_interval(values, seed=seed, resamples=resamples)
    low, high = interval if interval else (None, None)
    return Aggregate(mean(values), low, high)

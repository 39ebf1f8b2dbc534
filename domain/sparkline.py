"""A run's training-loss sparkline for the runs list, kept up to date as points arrive, in constant space.

Points fall into buckets of `width` steps; once a step lands past the last bucket, neighbouring buckets merge in
pairs and the width doubles. So the list never reads a run's metrics: it shows between MAX_BUCKETS / 2 and
MAX_BUCKETS bucket means (fewer while the run has fewer points), however long the run trains.
"""

import math
from collections.abc import Iterable
from typing import TypedDict

MAX_BUCKETS = 32


class SparklineState(TypedDict):
    width: int  # steps per bucket
    sums: list[float]
    counts: list[int]


def empty() -> SparklineState:
    return {"width": 1, "sums": [], "counts": []}


def add(state: SparklineState | None, step: int, value: float) -> SparklineState | None:
    """The state with one more point; `state` is not changed. A NaN/inf point is left out: it would make its bucket's
    mean non-finite, which JSON cannot store (the run's chart marks it instead)."""
    if not math.isfinite(value):
        return state
    current = state or empty()
    width, sums, counts = current["width"], list(current["sums"]), list(current["counts"])
    while step // width >= MAX_BUCKETS:
        sums = [sum(sums[i : i + 2]) for i in range(0, len(sums), 2)]
        counts = [sum(counts[i : i + 2]) for i in range(0, len(counts), 2)]
        width *= 2
    bucket = step // width
    if bucket >= len(sums):
        sums.extend([0.0] * (bucket + 1 - len(sums)))
        counts.extend([0] * (bucket + 1 - len(counts)))
    sums[bucket] += value
    counts[bucket] += 1
    return {"width": width, "sums": sums, "counts": counts}


def build(points: Iterable[tuple[int, float]]) -> SparklineState | None:
    """The state of a whole series of (step, value); None when there is no point."""
    state = None
    for step, value in points:
        state = add(state, step, value)
    return state


def values(state: SparklineState | None) -> list[float]:
    """The mean of each bucket that holds a point, in step order."""
    if state is None:
        return []
    return [total / count for total, count in zip(state["sums"], state["counts"], strict=True) if count]

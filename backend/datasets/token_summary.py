"""Summaries of a dataset's counted token lengths against one max_seq_length: cheap (a bisection and a histogram), so
a new max_seq_length never recounts."""

import bisect
import math
from collections.abc import Sequence

from backend.datasets.schemas import HistogramOut, TokenStatsOut

HISTOGRAM_BINS = 20


def _percentile(ordered: Sequence[int], share: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * share
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _bin_width(upper: int) -> int:
    """A round width (1, 2 or 5 times a power of ten) giving at most HISTOGRAM_BINS bins up to `upper`."""
    target = max(1.0, upper / HISTOGRAM_BINS)
    magnitude = 10 ** math.floor(math.log10(target))
    for step in (1, 2, 5, 10):
        if step * magnitude >= target:
            return int(step * magnitude)
    return int(10 * magnitude)  # pragma: no cover


def histogram(lengths: Sequence[int]) -> HistogramOut:
    longest = max(lengths, default=0)
    width = _bin_width(longest + 1)
    bins = longest // width + 1
    counts = [0] * bins
    for length in lengths:
        counts[length // width] += 1
    return HistogramOut(edges=[i * width for i in range(bins + 1)], counts=counts)


def summarize(ordered: Sequence[int], max_seq_length: int) -> TokenStatsOut:
    """Statistics of sorted lengths against one max_seq_length: cheap, so a new max_seq_length never recounts."""
    count = len(ordered)
    return TokenStatsOut(
        status="ready",
        num_examples=count,
        max=ordered[-1] if ordered else 0,
        mean=sum(ordered) / count if count else 0.0,
        p50=_percentile(ordered, 0.5),
        p95=_percentile(ordered, 0.95),
        num_truncated=count - bisect.bisect_right(ordered, max_seq_length),
        histogram=histogram(ordered),
    )

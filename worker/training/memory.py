"""A run's memory: its peak (GPU memory on CUDA, resident memory on CPU), and giving it back between trainings."""

import gc
import os
import threading
from types import TracebackType

import torch

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
SAMPLE_SECONDS = 0.05


def resident_bytes() -> int:
    # /proc/self/statm's second field: resident pages. Cheap enough to read 20 times a second.
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_BYTES


class PeakMemory:
    """`with PeakMemory() as peak: ...; peak.bytes` — the most memory the block held at once.

    ru_maxrss would be the process's lifetime peak, but a worker runs many jobs: a sampler gives this one's.
    """

    def __init__(self) -> None:
        self.cuda = torch.cuda.is_available()
        self.bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.bytes = max(self.bytes, resident_bytes())

    def __enter__(self) -> "PeakMemory":
        if self.cuda:
            torch.cuda.reset_peak_memory_stats()
        else:
            self.bytes = resident_bytes()
            self._thread.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self.cuda:
            self.bytes = torch.cuda.max_memory_allocated()
        else:
            self._stop.set()
            self._thread.join()
            self.bytes = max(self.bytes, resident_bytes())


def release_memory() -> None:
    """Give back what a finished (or failed) training held, before the next one loads its model. The Trainer and
    model form reference cycles that only the collector frees; CUDA's caching allocator keeps freed blocks for this
    process unless emptied."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()

"""Running untrusted code (a user's Jinja template) in a child process under limits it cannot get around.

A template's own checks (domain.templates' budget) only run on function calls and output, so a loop with neither,
or a huge `~` concatenation, would run in the caller's process for as long and as large as it likes. Here the child
has an address-space limit (a MemoryError past it), a CPU-time limit (the kernel kills it), an alarm per item (a
Python exception between two bytecodes, which no template can catch), and the parent kills it when the wall clock
runs out. A few run at a time; one more is refused (SandboxBusy) rather than queued behind a bad template.

One child serves a whole call: items go over in batches and come back rendered, so a dataset of thousands of
rows costs one process start (~20 ms from the fork server), not one per row.
"""

import math
import multiprocessing
import resource
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

MAX_CHILDREN = 4  # at once per process; each may hold MEMORY_BYTES
MEMORY_BYTES = 512 * 1024 * 1024  # on top of what the child holds when it starts
BATCH_ITEMS = 500

# The fork server is one clean single-threaded process that forks the children: forking the API itself (threads,
# database connections) is unsafe, and a fresh interpreter per call would cost ~0.5 s of imports.
_processes = multiprocessing.get_context("forkserver")
_processes.set_forkserver_preload(["domain.templates"])
_slots = threading.BoundedSemaphore(MAX_CHILDREN)


class SandboxBusy(RuntimeError):
    """MAX_CHILDREN sandboxes are running: ask again shortly."""


class SandboxLimit(RuntimeError):
    """The child ran out of time or memory on an item; `index` is the item's place in the input (or None)."""

    def __init__(self, reason: str, index: int | None) -> None:
        super().__init__(reason)
        self.reason = reason  # "time" or "memory"
        self.index = index


@dataclass(frozen=True)
class _Failed:
    reason: str
    offset: int  # within the batch


class _ItemTimeout(BaseException):
    """BaseException: `except Exception` in the code under test must not swallow it."""


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise _ItemTimeout


def _virtual_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _child(connection: Connection, function: Callable[[Any], Any], item_seconds: float, seconds: float) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_virtual_bytes() + MEMORY_BYTES,) * 2)
    cpu = math.ceil(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    signal.signal(signal.SIGALRM, _on_alarm)
    while (batch := connection.recv()) is not None:
        results: list[Any] = []
        for offset, item in enumerate(batch):
            try:
                signal.setitimer(signal.ITIMER_REAL, item_seconds)
                results.append(function(item))
            except _ItemTimeout:
                results.append(_Failed("time", offset))
                break
            except MemoryError:
                results = [_Failed("memory", offset)]  # free what the item built before answering
                break
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        connection.send(results)


def _batches(items: Iterable[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH_ITEMS:
            yield batch
            batch = []
    if batch:
        yield batch


def map_sandboxed(
    function: Callable[[Any], Any], items: Iterable[Any], *, item_seconds: float, seconds: float
) -> Iterator[Any]:
    """function(item) for every item, computed in a limited child process; `function` must be picklable (a module's
    function, or a functools.partial of one). Raises SandboxLimit, or SandboxBusy without starting a child."""
    if not _slots.acquire(blocking=False):
        raise SandboxBusy(f"{MAX_CHILDREN} templates are being rendered already")
    deadline = time.monotonic() + seconds
    parent, child_end = _processes.Pipe()
    child = _processes.Process(target=_child, args=(child_end, function, item_seconds, seconds), daemon=True)
    try:
        child.start()
        child_end.close()
        done = 0
        for batch in _batches(items):
            parent.send(batch)
            if not parent.poll(max(0.0, deadline - time.monotonic())):
                raise SandboxLimit("time", None)
            try:
                results = parent.recv()
            except (EOFError, OSError):  # killed by the kernel: the CPU-time limit
                raise SandboxLimit("time", None) from None
            for result in results:
                if isinstance(result, _Failed):
                    raise SandboxLimit(result.reason, done + result.offset)
                yield result
            done += len(batch)
        parent.send(None)
    finally:
        child.kill()
        child.join()
        parent.close()
        _slots.release()

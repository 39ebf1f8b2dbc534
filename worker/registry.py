"""The worker registry: each worker says what it serves and what it trains on, so the API's run estimate compares
with the memory of the workers that will train, not with its own machine's.

A worker adds its row when it is ready (worker.celery_app), refreshes last_seen_at from its reaper loop and deletes
the row when it shuts down. One killed outright leaves its row behind: the API ignores rows not seen for three
reaper intervals (backend.workers.service), and workers delete rows not seen for an hour.
"""

import logging
import os
import platform
import socket
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import delete, update

from backend.core.db import get_sessionmaker
from backend.core.queue import TRAINING_QUEUE
from backend.models import Worker, utcnow
from domain import machine
from worker.leases import WORKER_ID

log = logging.getLogger(__name__)

# Rows of workers gone without a word (SIGKILL, a lost machine) are already hidden; this only keeps the table small.
PRUNE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Description:
    """One worker as its row stores it."""

    id: str
    hostname: str
    pid: int
    queues: list[str]
    device: Literal["cuda", "cpu"]
    device_name: str
    device_count: int
    memory_bytes: int
    cpu_count: int
    versions: dict[str, Any] = field(default_factory=dict)


def _cuda(versions: dict[str, Any]) -> tuple[str, int, int] | None:
    """(name, count, memory) of the smallest GPU this process sees, or None without CUDA.

    Imports torch (a training worker has already) and initialises CUDA in this process: right for a training worker,
    which trains in its own process (--pool=solo); a forking pool could not use CUDA in its children afterwards.
    """
    import torch

    versions["torch"] = torch.__version__
    if torch.version.cuda:
        versions["cuda"] = torch.version.cuda
    if not torch.cuda.is_available():
        return None
    # With several GPUs the Trainer can replicate the model on each (DataParallel): the smallest one bounds a run.
    gpus = [torch.cuda.get_device_properties(i) for i in range(torch.cuda.device_count())]
    smallest = min(gpus, key=lambda gpu: gpu.total_memory)
    return smallest.name, len(gpus), smallest.total_memory


def describe(queues: Sequence[str]) -> Description:
    """This worker. Only one that serves the training queue looks for a GPU: a light worker never imports torch."""
    versions: dict[str, Any] = {"python": platform.python_version()}
    gpu = _cuda(versions) if TRAINING_QUEUE in queues else None
    device: Literal["cuda", "cpu"] = "cpu" if gpu is None else "cuda"
    name, count, memory = gpu or (machine.cpu_name(), 0, machine.memory_bytes())
    return Description(
        id=WORKER_ID,
        hostname=socket.gethostname(),
        pid=os.getpid(),
        queues=sorted(queues),
        device=device,
        device_name=name,
        device_count=count,
        memory_bytes=memory,
        cpu_count=machine.cpu_count(),
        versions=versions,
    )


class Presence:
    """This worker's row: `join` when ready, `beat` every reaper interval, `leave` at shutdown."""

    def __init__(self, description: Description) -> None:
        self.description = description

    def join(self) -> None:
        now = utcnow()
        with get_sessionmaker().begin() as session:
            session.execute(delete(Worker).where(Worker.id == self.description.id))
            session.add(Worker(**asdict(self.description), started_at=now, last_seen_at=now))
        log.info(
            "registered as worker %s: %s, %s (%s), %.1f GB",
            self.description.id,
            ",".join(self.description.queues),
            self.description.device,
            self.description.device_name,
            self.description.memory_bytes / 1e9,
        )

    def beat(self) -> None:
        now = utcnow()
        with get_sessionmaker().begin() as session:
            seen = session.execute(
                update(Worker).where(Worker.id == self.description.id).values(last_seen_at=now)
            ).rowcount  # type: ignore[attr-defined]
            session.execute(
                delete(Worker)
                .where(Worker.last_seen_at < now - PRUNE_AFTER)
                .execution_options(synchronize_session=False)
            )
        if not seen:  # pruned while this process was frozen or cut off for an hour: it is back
            self.join()

    def leave(self) -> None:
        with get_sessionmaker().begin() as session:
            session.execute(delete(Worker).where(Worker.id == self.description.id))

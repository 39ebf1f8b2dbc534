"""Where a training run reports to in the studio: the database, which the API streams from."""

import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Row, delete, insert, select, update

from backend.core.db import get_sessionmaker
from backend.core.storage import LocalStorage
from backend.models import MAX_LOG_LINE_CHARS, Checkpoint, Metric, PinnedAnswer, Run, insert_log_line
from domain import sparkline
from domain.log import LogKind
from worker.leases import Lease
from worker.training.types import PinnedAnswer as Answer


def list_figures(run: Row[tuple[float | None, Any]], step: int, values: Mapping[str, float]) -> dict[str, Any]:
    """The runs list's best validation loss and loss sparkline with the points of `step` added."""
    figures: dict[str, Any] = {}
    eval_loss = values.get("eval_loss")
    # Step 0's validation loss is the base model's, not something fine-tuning reached.
    if (
        eval_loss is not None
        and step > 0
        and math.isfinite(eval_loss)
        and (run.best_eval_loss is None or eval_loss < run.best_eval_loss)
    ):
        figures["best_eval_loss"] = eval_loss
    if "train_loss" in values:
        figures["loss_sparkline"] = sparkline.add(run.loss_sparkline, step, values["train_loss"])
    return figures


# A cancel (or a deleted run) is noticed within this many seconds; a step faster than that does not query for it.
CANCEL_CHECK_SECONDS = 1.0


class DatabaseSink:
    """Every write is skipped once the lease is lost: the run belongs to another worker then."""

    def __init__(self, lease: Lease, storage: LocalStorage) -> None:
        self.run_id = lease.run_id
        self.lease = lease
        self.storage = storage
        self.sessions = get_sessionmaker()
        self.step: int | None = None  # the last step reported: the run's log places each event after it
        self._cancel_checked_at = -CANCEL_CHECK_SECONDS  # monotonic time of the last look in the database

    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        rows = [
            {"run_id": self.run_id, "step": step, "epoch": epoch, "name": name, "value": float(value)}
            for name, value in values.items()
        ]
        if not rows or self.lease.lost.is_set():
            return
        self.step = step
        with self.sessions.begin() as session:
            session.execute(insert(Metric), rows)
            run = session.execute(
                select(Run.best_eval_loss, Run.loss_sparkline)
                .where(Run.id == self.run_id, Run.lease_owner == self.lease.owner)
                .with_for_update()
            ).one_or_none()
            if run is None:
                return
            session.execute(
                update(Run).where(Run.id == self.run_id).values(step=step, **list_figures(run, step, values))
            )

    def total_steps(self, steps: int) -> None:
        if self.lease.lost.is_set():
            return
        with self.sessions.begin() as session:
            session.execute(
                update(Run).where(Run.id == self.run_id, Run.lease_owner == self.lease.owner).values(total_steps=steps)
            )

    def log(self, message: str, kind: LogKind = LogKind.INFO) -> None:
        """A line in the run's log, and the run's status_message until the next one."""
        if self.lease.lost.is_set():
            return
        message = message[:MAX_LOG_LINE_CHARS]
        with self.sessions.begin() as session:
            result = session.execute(
                update(Run)
                .where(Run.id == self.run_id, Run.lease_owner == self.lease.owner)
                .values(status_message=message)
            )
            # The update is the fence: no row matched, so another worker owns the run and its log.
            if result.rowcount:  # type: ignore[attr-defined]
                session.execute(insert_log_line(self.run_id, kind, message, self.step))

    def checkpoint(self, step: int, path: Path, eval_loss: float | None) -> None:
        if self.lease.lost.is_set():
            return
        key = str(path.resolve().relative_to(self.storage.root))
        # One row per step: training that starts again from a checkpoint saves its later steps again.
        with self.sessions.begin() as session:
            session.execute(
                delete(Checkpoint).where(
                    Checkpoint.run_id == self.run_id, Checkpoint.step == step, Checkpoint.is_final.is_(False)
                )
            )
            session.execute(
                insert(Checkpoint).values(run_id=self.run_id, step=step, storage_key=key, eval_loss=eval_loss)
            )

    def answers(self, step: int, items: Sequence[Answer]) -> None:
        """The pinned examples' answers at `step`, replacing any an earlier attempt stored for it."""
        if not items or self.lease.lost.is_set():
            return
        rows = [
            {
                "run_id": self.run_id,
                "step": step,
                "example_id": item.example_id,
                "prompt": item.prompt,
                "expected": item.expected,
                "answer": item.answer,
            }
            for item in items
        ]
        with self.sessions.begin() as session:
            # The fence: the row lock makes a reaper taking the run over wait until these rows are in.
            owned = session.scalar(
                select(Run.id).where(Run.id == self.run_id, Run.lease_owner == self.lease.owner).with_for_update()
            )
            if owned is None:
                return
            session.execute(delete(PinnedAnswer).where(PinnedAnswer.run_id == self.run_id, PinnedAnswer.step == step))
            session.execute(insert(PinnedAnswer), rows)

    def cancel_requested(self) -> bool:
        """The user asked to stop (or deleted the run), or the lease went to another worker (then this one must stop
        too)."""
        if self.lease.lost.is_set():
            return True
        # Asked at every optimiser step, several a second on a GPU: the database is asked at most once a second.
        now = time.monotonic()
        if now - self._cancel_checked_at < CANCEL_CHECK_SECONDS:
            return False
        self._cancel_checked_at = now
        with self.sessions() as session:
            requested = session.scalar(select(Run.cancel_requested).where(Run.id == self.run_id))
            return requested is None or requested

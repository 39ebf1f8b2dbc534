"""Where a training run reports to in the studio: the database, which the API streams from."""

import math
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update

from backend.core.db import get_sessionmaker
from backend.core.run_notices import notify_run_changed
from backend.core.storage import LocalStorage
from backend.models import MAX_LOG_LINE_CHARS, Checkpoint, Metric, PinnedAnswer, Run, insert_log_line, utcnow
from domain import sparkline
from domain.log import LogKind
from worker.leases import Lease
from worker.training.types import PinnedAnswer as Answer


def list_figures(
    best_eval_loss: float | None, loss_sparkline: Any, rows: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The runs list's best validation loss and loss sparkline with the metric rows (oldest first) added."""
    figures: dict[str, Any] = {}
    for row in rows:
        value = row["value"]
        # Step 0's validation loss is the base model's, not something fine-tuning reached; NaN/inf is never a best.
        if (
            row["name"] == "eval_loss"
            and row["step"] > 0
            and math.isfinite(value)
            and (best_eval_loss is None or value < best_eval_loss)
        ):
            best_eval_loss = figures["best_eval_loss"] = value
        if row["name"] == "train_loss":
            loss_sparkline = figures["loss_sparkline"] = sparkline.add(loss_sparkline, row["step"], value)
    return figures


# A cancel (or a deleted run) is noticed within this many seconds; a step faster than that does not query for it.
CANCEL_CHECK_SECONDS = 1.0
# Metric points wait at most this long to be written, together, by a background timer: the training thread never
# waits on the database for them, and a step several times a second costs one write per half second, not one per
# step (bench/metric_writes.py). The charts lag by at most this, plus the write.
METRIC_FLUSH_SECONDS = 0.5


class DatabaseSink:
    """Every write is skipped once the lease is lost: the run belongs to another worker then.

    Metric points are batched (METRIC_FLUSH_SECONDS): call flush() before anything must find them all (the run's
    end, a restart from a checkpoint). Every write is followed by a notice to the run's live streams.
    """

    def __init__(self, lease: Lease, storage: LocalStorage) -> None:
        self.run_id = lease.run_id
        self.lease = lease
        self.storage = storage
        self.sessions = get_sessionmaker()
        self.step: int | None = None  # the last step reported: the run's log places each event after it
        self._cancel_checked_at = -CANCEL_CHECK_SECONDS  # monotonic time of the last look in the database
        self._pending: list[dict[str, Any]] = []  # metric rows not written yet, oldest first
        self._pending_lock = threading.Lock()
        self._write_lock = threading.Lock()  # one metric write at a time: the rows go in in order
        self._flush_timer: threading.Timer | None = None
        self._flush_error: Exception | None = None  # the timer's, raised on the training thread

    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        now = utcnow()
        rows = [
            {"run_id": self.run_id, "step": step, "epoch": epoch, "name": name, "value": float(value), "time": now}
            for name, value in values.items()
        ]
        if not rows or self.lease.lost.is_set():
            return
        self._raise_flush_error()
        self.step = step
        with self._pending_lock:
            self._pending.extend(rows)
            if self._flush_timer is None:
                self._flush_timer = threading.Timer(METRIC_FLUSH_SECONDS, self._flush_when_due)
                self._flush_timer.daemon = True
                self._flush_timer.start()

    def flush(self) -> None:
        """Write the metric points still waiting (and raise what a background write raised)."""
        with self._pending_lock:
            timer, self._flush_timer = self._flush_timer, None
        if timer is not None:
            timer.cancel()
        self._write_pending()
        self._raise_flush_error()

    def _flush_when_due(self) -> None:
        with self._pending_lock:
            self._flush_timer = None
        try:
            self._write_pending()
        except Exception as exc:
            self._flush_error = exc

    def _raise_flush_error(self) -> None:
        error, self._flush_error = self._flush_error, None
        if error is not None:
            raise error

    def _write_pending(self) -> None:
        with self._write_lock:
            with self._pending_lock:
                rows, self._pending = self._pending, []
            if not rows or self.lease.lost.is_set():
                return
            with self.sessions.begin() as session:
                # The fence: the row lock makes a reaper taking the run over wait until these rows are in.
                run = session.execute(
                    select(Run.best_eval_loss, Run.loss_sparkline)
                    .where(Run.id == self.run_id, Run.lease_owner == self.lease.owner)
                    .with_for_update()
                ).one_or_none()
                if run is None:
                    return
                session.execute(insert(Metric), rows)
                figures = list_figures(run.best_eval_loss, run.loss_sparkline, rows)
                session.execute(update(Run).where(Run.id == self.run_id).values(step=rows[-1]["step"], **figures))
            notify_run_changed(self.run_id)

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
            if not result.rowcount:  # type: ignore[attr-defined]
                return
            session.execute(insert_log_line(self.run_id, kind, message, self.step))
        notify_run_changed(self.run_id)

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

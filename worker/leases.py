"""Run leases: how a lost worker's run is found and resumed, and how two workers never train one run.

A worker that claims a run holds a lease (owner id + expiry) and renews it by heartbeat. Every write it
makes about the run is fenced by the owner id, so a worker that lost its lease (frozen, cut off) cannot
overwrite the run after another worker took it over. Each worker also runs a reaper that re-queues runs
whose lease expired: with a checkpoint they resume, without one they restart, and after max_attempts they fail (and
their webhooks are told);
and sends again the queued runs no worker claimed in time (their task was lost, or never reached the broker).
"""

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType

from sqlalchemy import ColumnElement, select, update

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.queue import BrokerUnreachable
from backend.core.run_notices import notify_run_changed
from backend.core.webhooks import announce
from backend.models import Evaluation, Run, RunStatus, duration_seconds, insert_log_line, utcnow
from domain.log import LogKind
from worker import judging_store

log = logging.getLogger(__name__)

# One id per worker process, so its leases can be told from another's.
WORKER_ID = f"{uuid.uuid4().hex[:12]}"


def lease_expiry() -> timedelta:
    return timedelta(seconds=get_settings().lease_seconds)


class Lease:
    """Renews the lease of one run (or one evaluation: `table=Evaluation`) in the background while the worker holds it."""

    def __init__(self, row_id: int, owner: str = WORKER_ID, table: type[Run] | type[Evaluation] = Run) -> None:
        self.row_id = row_id
        self.owner = owner
        self.table = table
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{table.__tablename__}-{row_id}", daemon=True)

    @property
    def run_id(self) -> int:
        return self.row_id

    def renew(self) -> bool:
        table = self.table
        with get_sessionmaker().begin() as session:
            result = session.execute(
                update(table)
                .where(table.id == self.row_id, table.lease_owner == self.owner, table.status == RunStatus.RUNNING)
                .values(lease_expires_at=utcnow() + lease_expiry())
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def _beat(self) -> None:
        what = f"{self.table.__tablename__} {self.row_id}"
        while not self._stop.wait(get_settings().heartbeat_seconds):
            try:
                if not self.renew():
                    log.warning("%s: lease lost to another worker; stopping", what)
                    self.lost.set()
                    return
            except Exception:  # a database hiccup: try again at the next beat, the lease has slack
                log.exception("%s: lease renewal failed", what)

    def __enter__(self) -> "Lease":
        self._thread.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()


def reap_expired(enqueue: Callable[[int], object]) -> list[int]:
    """Re-queue (or fail) runs whose lease expired. Safe to run in every worker at once."""
    settings = get_settings()
    now = utcnow()
    requeued: list[int] = []
    with get_sessionmaker()() as session:
        expired = session.scalars(
            select(Run.id).where(Run.status == RunStatus.RUNNING, Run.lease_expires_at < now)
        ).all()
    for run_id in expired:
        with get_sessionmaker().begin() as session:
            run = session.get_one(Run, run_id)
            gave_up = run.attempts >= settings.max_attempts
            values = (
                {
                    "status": RunStatus.FAILED,
                    "error": f"The worker training this run stopped responding {run.attempts} times "
                    f"(no heartbeat for {settings.lease_seconds:.0f} s); giving up after {settings.max_attempts} attempts.",
                    "status_message": "failed: worker lost",
                    "finished_at": now,
                    "duration_seconds": duration_seconds(run.started_at, now),
                    "lease_owner": None,
                }
                if gave_up
                else {
                    "status": RunStatus.QUEUED,
                    "status_message": f"worker lost; queued again (attempt {run.attempts + 1} of {settings.max_attempts})",
                    "lease_owner": None,
                    "lease_expires_at": None,
                    "last_sent_at": now,
                }
            )
            # The status and expiry in the WHERE make the take-over atomic when several reapers race.
            result = session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == RunStatus.RUNNING, Run.lease_expires_at < now)
                .values(**values)
                .execution_options(synchronize_session=False)  # SQLite gives back naive datetimes
            )
            taken = bool(result.rowcount)  # type: ignore[attr-defined]
            if taken:
                # The run's log keeps the take-over; status_message is overwritten by the next worker's first line.
                kind = LogKind.ERROR if gave_up else LogKind.WARNING
                note = values["error"] if gave_up else values["status_message"]
                session.execute(insert_log_line(run_id, kind, str(note)))
        if taken:
            notify_run_changed(run_id)
        if taken and gave_up:
            announce(run_id, RunStatus.FAILED, run.webhook_url)
        if taken and not gave_up:
            if not _send(run_id, enqueue):
                break  # the broker is down: resend_unclaimed sends the run once it is back
            requeued.append(run_id)
            log.warning("run %s: lease expired; re-queued", run_id)
    return requeued


def reap_expired_evaluations(enqueue: Callable[[int], object]) -> list[int]:
    """Queue again (or fail) the evaluations whose worker stopped renewing its lease: killed, or cut off. An evaluation
    keeps no partial answers, so it starts over. Safe to run in every worker at once, like reap_expired."""
    settings = get_settings()
    now = utcnow()
    with get_sessionmaker()() as session:
        expired = session.execute(
            select(Evaluation.id, Evaluation.attempts).where(
                Evaluation.status == RunStatus.RUNNING, Evaluation.lease_expires_at < now
            )
        ).all()
    requeued: list[int] = []
    for evaluation_id, attempts in expired:
        gave_up = attempts >= settings.max_attempts
        values: dict[str, object] = (
            {
                "status": RunStatus.FAILED,
                "error": f"The worker answering this evaluation stopped responding {attempts} times "
                f"(no heartbeat for {settings.lease_seconds:.0f} s); giving up after {settings.max_attempts} attempts.",
                "finished_at": now,
                "lease_owner": None,
            }
            if gave_up
            else {
                "status": RunStatus.QUEUED,
                "done": 0,
                "lease_owner": None,
                "lease_expires_at": None,
                "started_at": None,
            }
        )
        with get_sessionmaker().begin() as session:
            result = session.execute(
                update(Evaluation)
                .where(
                    Evaluation.id == evaluation_id,
                    Evaluation.status == RunStatus.RUNNING,
                    Evaluation.lease_expires_at < now,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            taken = bool(result.rowcount)  # type: ignore[attr-defined]
        if not taken:
            continue
        if gave_up:
            judging_store.abandon(evaluation_id, "the evaluation failed: there are no answers to judge")
            continue
        try:
            enqueue(evaluation_id)
        except BrokerUnreachable as exc:
            # As when it is created: nothing sends a queued evaluation later, so it fails with what to do.
            with get_sessionmaker().begin() as session:
                session.execute(
                    update(Evaluation)
                    .where(Evaluation.id == evaluation_id, Evaluation.status == RunStatus.QUEUED)
                    .values(
                        status=RunStatus.FAILED,
                        finished_at=utcnow(),
                        error=f"its worker was lost and the broker was unreachable ({type(exc).__name__}); "
                        "create the evaluation again",
                    )
                )
            judging_store.abandon(evaluation_id, "the evaluation failed: there are no answers to judge")
            continue
        requeued.append(evaluation_id)
        log.warning("evaluation %s: lease expired; queued again", evaluation_id)
    return requeued


def resend_unclaimed(enqueue: Callable[[int], object]) -> list[int]:
    """Send again the queued runs that no worker claimed in time: a task lost in the broker, or one that never reached
    it (the broker was down when the run was created or re-queued: last_sent_at is None). Safe to run in every worker
    at once: of several reapers, the one whose conditional UPDATE of last_sent_at wins sends, and a duplicate task is
    harmless, because only one worker can claim the run (run_store.claim)."""
    bound = timedelta(seconds=get_settings().queued_resend_seconds)
    now = utcnow()
    with get_sessionmaker()() as session:
        queued = session.execute(
            select(Run.id, Run.created_at, Run.last_sent_at, Run.attempts)
            .where(Run.status == RunStatus.QUEUED, Run.cancel_requested.is_(False))
            .order_by(Run.id)  # sent again in the order they were queued: the queue stays first come first served
        ).all()
    resent: list[int] = []
    for run_id, created_at, last_sent_at, attempts in queued:
        values: dict[str, object] = {"last_sent_at": now}
        due: ColumnElement[bool]
        if last_sent_at is None:
            due = Run.last_sent_at.is_(None)
            note, kind = "sent to the workers again: its task had not reached the broker", LogKind.WARNING
            values["status_message"] = "waiting for a worker"  # no longer waiting for the broker
        else:
            # A run that waits behind busy workers is not lost, yet looks the same from here. Its wait doubles with its
            # time in the queue (sent at 0, 1, 2, 4, 8... bounds), so it is sent a few times, not once a bound for hours.
            # A run re-queued after a lost worker was created long ago: the plain bound.
            wait = max(bound, last_sent_at - created_at) if attempts == 0 else bound
            if last_sent_at > now - wait:
                continue
            due = Run.last_sent_at < now - wait
            note, kind = (
                f"sent to the workers again: no worker took it within {wait.total_seconds():.0f} s of being sent "
                "(its task was lost, or every worker was busy)",
                LogKind.INFO,
            )
        with get_sessionmaker().begin() as session:
            # Marked before sending (commit, then send): the reaper that wins the UPDATE sends, the others skip the run.
            marked = session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == RunStatus.QUEUED, Run.cancel_requested.is_(False), due)
                .values(**values)
                .execution_options(synchronize_session=False)  # SQLite gives back naive datetimes
            )
        if not marked.rowcount:  # type: ignore[attr-defined]
            continue  # claimed, cancelled or sent by another reaper meanwhile
        if not _send(run_id, enqueue):
            break  # the broker is down: every other send would wait for it too; the next pass tries again
        with get_sessionmaker().begin() as session:
            session.execute(insert_log_line(run_id, kind, note))
        resent.append(run_id)
        log.warning("run %s: %s", run_id, note)
    return resent


def _send(run_id: int, enqueue: Callable[[int], object]) -> bool:
    """Send a run marked sent; when the broker is out of reach, mark it unsent, for the next reaper pass to send."""
    try:
        enqueue(run_id)
    except BrokerUnreachable as exc:
        log.warning("run %s: the broker is unreachable (%s); the run stays queued and is sent again later", run_id, exc)
        with get_sessionmaker().begin() as session:
            session.execute(
                update(Run).where(Run.id == run_id, Run.status == RunStatus.QUEUED).values(last_sent_at=None)
            )
        return False
    return True


class Reaper:
    """A worker's background thread that calls reap_expired, reap_expired_evaluations and resend_unclaimed every
    reaper_seconds.

    The same loop keeps the worker's registry row fresh (`beat`, before each reaping) and removes it when the loop
    ends (`leave`), so a worker is listed exactly while it also looks after lost runs.
    """

    def __init__(
        self,
        enqueue: Callable[[int], object],
        enqueue_evaluation: Callable[[int], object] = lambda _: None,
        beat: Callable[[], object] = lambda: None,
        leave: Callable[[], object] = lambda: None,
    ) -> None:
        self.enqueue = enqueue
        self.enqueue_evaluation = enqueue_evaluation
        self.beat = beat
        self.leave = leave
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lease-reaper", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(get_settings().reaper_seconds):
            try:
                self.beat()
            except Exception:  # the next beat tries again; three missed ones hide the worker, nothing worse
                log.exception("worker registry heartbeat failed")
            try:
                reap_expired(self.enqueue)
            except Exception:  # keep reaping; a transient database error must not end recovery for good
                log.exception("lease reaper failed")
            try:
                reap_expired_evaluations(self.enqueue_evaluation)
            except Exception:  # as above
                log.exception("evaluation lease reaper failed")
            try:
                resend_unclaimed(self.enqueue)
            except Exception:  # as above: the next pass tries again
                log.exception("sending unclaimed runs again failed")
        self._leave()

    def _leave(self) -> None:
        try:
            self.leave()
        except Exception:  # the row goes stale in three intervals anyway
            log.exception("leaving the worker registry failed")

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ends the loop. With a timeout (not from a signal handler), waits that long for it to leave the registry."""
        self._stop.set()
        if timeout is not None and self._thread.is_alive():
            self._thread.join(timeout)

"""A run after it ends: resumed from its last checkpoint, or deleted with its files."""

import logging

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.core.errors import Conflict
from backend.core.storage import Storage
from backend.models import Checkpoint, Dataset, Run, RunStatus, insert_log_line
from backend.runs.service import cancel_run, enqueue
from domain.artifacts import run_storage_key
from domain.log import LogKind

log = logging.getLogger(__name__)


def resume_run(session: Session, storage: Storage, run: Run) -> Run:
    """A failed or cancelled run queued again: the worker that claims it continues from the latest checkpoint still
    on disk (worker.run_store.prepare_resume), keeping the metrics logged up to it."""
    session.refresh(run, with_for_update=True)
    if run.status not in (RunStatus.FAILED, RunStatus.CANCELLED):
        raise Conflict(f"run {run.id} is {run.status.value}: only a failed or cancelled run can be resumed")
    checkpoints = session.scalars(
        select(Checkpoint)
        .where(Checkpoint.run_id == run.id, Checkpoint.is_final.is_(False))
        .order_by(Checkpoint.step.desc())
    ).all()
    latest = next((c for c in checkpoints if storage.local_path(c.storage_key).is_dir()), None)
    if latest is None:
        raise Conflict(f"run {run.id} has no checkpoint on disk to resume from: run it again instead")
    if session.get_one(Dataset, run.dataset_id).split_hash != run.split_hash:
        raise Conflict(
            f"dataset {run.dataset_id} was split again since run {run.id} started: resuming would train on other "
            "examples. Start a new run instead."
        )
    run.status, run.error, run.finished_at = RunStatus.QUEUED, None, None
    run.cancel_requested = False
    run.attempts = 0  # a new try: the lost-worker limit counts from here
    run.status_message = f"waiting for a worker: resumes from the checkpoint at step {latest.step}"
    session.execute(insert_log_line(run.id, LogKind.RESUME, f"resume asked: from the checkpoint at step {latest.step}"))
    return enqueue(session, run)


def delete_run(session: Session, storage: Storage, run: Run) -> None:
    """The run, everything recorded about it (metrics, log, checkpoints, evaluations and their reviews: the database
    cascades) and its files. A queued or running run is cancelled first: a worker on it stops at its next step, as it
    finds the run gone."""
    if not run.status.finished:
        cancel_run(session, run)
    run_id = run.id
    session.execute(delete(Run).where(Run.id == run_id))
    session.commit()
    # After the commit: files of a run that still exists are never removed.
    storage.delete(run_storage_key(run_id))
    log.info("run %s deleted with its files", run_id)

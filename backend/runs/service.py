import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.ownership import can_see
from backend.base_models.service import resolve_base_model
from backend.core.errors import Conflict, NotFound
from backend.core.queue import BrokerUnreachable, enqueue_training
from backend.datasets.service import get_dataset, refuse_if_archived
from backend.models import (
    Metric,
    PinnedAnswer,
    Run,
    RunLogLine,
    RunStatus,
    User,
    insert_log_line,
    utcnow,
)
from backend.runs.estimate_service import refuse_if_it_fits_nowhere
from backend.runs.resolution import resolve_run
from backend.runs.schemas import PinnedExampleOut, RunClone, RunCreate, StepAnswerOut
from backend.webhooks.service import set_webhook
from domain.config import validate_config
from domain.log import LogKind

log = logging.getLogger(__name__)


def create_run(session: Session, user: User, request: RunCreate) -> Run:
    resolved = resolve_run(session, user, request)
    if not request.force:
        refuse_if_it_fits_nowhere(session, user, resolved)
    dataset, base_model, preset, config = resolved.dataset, resolved.base_model, resolved.preset, resolved.config
    run = Run(
        owner_id=user.id,
        name=request.name or f"{dataset.name} on {base_model.name}",
        dataset_id=dataset.id,
        base_model=base_model.name,
        preset_id=preset.id if preset else None,
        preset_snapshot=(
            {"name": preset.name, "version": preset.version, "hyperparameters": preset.hyperparameters}
            if preset
            else None
        ),
        config=config.model_dump(mode="json"),
        split_hash=dataset.split_hash,
        status=RunStatus.QUEUED,
        status_message="waiting for a worker",
        preflight=request.preflight,
    )
    # Before the run is committed and sent: a refused webhook leaves no run behind.
    set_webhook(
        user, run, request.webhook_url, request.webhook_secret.get_secret_value() if request.webhook_secret else None
    )
    return enqueue(session, run)


def clone_run(session: Session, user: User, source: Run, request: RunClone) -> Run:
    """Run again exactly: the source's resolved configuration (not its preset's current version), on the same split."""
    dataset = get_dataset(session, source.dataset_id, user)
    refuse_if_archived(dataset)
    if dataset.split_hash != source.split_hash:
        raise Conflict(
            f"dataset {dataset.id} was split again since run {source.id}: a clone would train and validate on other "
            "examples. Start a new run on the dataset instead."
        )
    base_model = resolve_base_model(session, user, source.base_model)
    # Validated again: a setting that no longer exists or is no longer allowed is named, not silently dropped.
    config = validate_config(source.config, field_prefix="config")
    run = Run(
        owner_id=user.id,
        name=request.name or f"{source.name} (again, from run {source.id})"[:200],
        dataset_id=dataset.id,
        base_model=base_model.name,
        preset_id=source.preset_id,
        preset_snapshot=source.preset_snapshot,
        config=config.model_dump(mode="json"),
        split_hash=source.split_hash,
        status=RunStatus.QUEUED,
        status_message="waiting for a worker",
        preflight=request.preflight,
    )
    return enqueue(session, run)


def enqueue(session: Session, run: Run) -> Run:
    run.last_sent_at = utcnow()
    session.add(run)
    # Commit before enqueueing: a worker that picks the task up at once must find the run.
    session.commit()
    try:
        run.task_id = enqueue_training(run.id)
    except BrokerUnreachable as exc:
        # The run is saved: answer with it rather than an error. A worker's reaper sends it once the broker is back
        # (worker.leases.resend_unclaimed); last_sent_at None tells it the task never reached the broker.
        log.warning("run %s: the broker was unreachable; the run stays queued and is sent again later", run.id)
        run.last_sent_at = None
        run.status_message = "waiting for the broker: the run is sent to the workers once it is reachable"
        message = (
            f"the broker was unreachable ({_first_line(exc)}): the run stays queued, and a worker sends it again "
            "once the broker is back"
        )
        session.execute(insert_log_line(run.id, LogKind.WARNING, message))
    return run


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def get_run(session: Session, run_id: int, user: User) -> Run:
    run = session.get(Run, run_id)
    if run is None or not can_see(user, run.owner_id):
        raise NotFound(f"run {run_id} not found")
    return run


def cancel_run(session: Session, run: Run) -> Run:
    """A queued run is cancelled at once (the worker skips it); a running one stops at its next step."""
    session.refresh(run, with_for_update=True)  # a worker may be changing the status right now
    if run.status.finished:
        raise Conflict(f"run {run.id} is already {run.status.value}; only queued or running runs can be cancelled")
    run.cancel_requested = True
    if run.status == RunStatus.QUEUED:
        run.status = RunStatus.CANCELLED
        run.status_message = "cancelled before it started"
        run.finished_at = utcnow()
    else:
        run.status_message = "cancelling: stopping at the next step"
    return run


def list_metrics(session: Session, run: Run, after_id: int = 0) -> list[Metric]:
    query = select(Metric).where(Metric.run_id == run.id, Metric.id > after_id).order_by(Metric.id)
    return list(session.scalars(query))


def list_log_lines(session: Session, run: Run, after_id: int = 0) -> list[RunLogLine]:
    query = select(RunLogLine).where(RunLogLine.run_id == run.id, RunLogLine.id > after_id).order_by(RunLogLine.id)
    return list(session.scalars(query))


def list_pinned_answers(session: Session, run: Run) -> list[PinnedExampleOut]:
    """The run's pinned examples in the order they were pinned, each with its answers by step."""
    rows = session.scalars(
        select(PinnedAnswer).where(PinnedAnswer.run_id == run.id).order_by(PinnedAnswer.step, PinnedAnswer.id)
    )
    examples: dict[int, PinnedExampleOut] = {}
    for row in rows:
        example = examples.setdefault(
            row.example_id,
            PinnedExampleOut(example_id=row.example_id, prompt=row.prompt, expected=row.expected, answers=[]),
        )
        example.answers.append(StepAnswerOut(step=row.step, answer=row.answer))
    return list(examples.values())

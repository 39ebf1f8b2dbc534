"""The worker's reads and writes of run state. State lives in the database, never in Celery results."""

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.run_notices import notify_run_changed
from backend.core.storage import LocalStorage
from backend.core.webhooks import announce
from backend.models import (
    BaseModelEntry,
    Checkpoint,
    DatasetExample,
    Metric,
    PinnedAnswer,
    Run,
    RunStatus,
    Split,
    duration_seconds,
    insert_log_line,
    utcnow,
)
from domain import sparkline
from domain.config import TrainingConfig
from domain.log import LogKind
from domain.records import RECORD, AnyRecord
from worker.evaluation_store import Answers, record_automatic
from worker.leases import lease_expiry
from worker.training.types import UNQUANTISED_EVAL_LOSS, SplitData


@dataclass(frozen=True)
class RunInputs:
    config: TrainingConfig
    base_model: BaseModelEntry
    data: SplitData
    test_example_ids: list[int]
    preflight: bool


@dataclass(frozen=True)
class Resume:
    checkpoint_dir: Path
    step: int
    base_eval_loss: float | None
    unquantised_base_eval_loss: float | None


def claim(run_id: int, owner: str) -> bool:
    """queued → running with this worker's lease, in one statement: a run cancelled meanwhile, or claimed by
    another worker, is skipped."""
    now = utcnow()
    with get_sessionmaker().begin() as session:
        result = session.execute(
            update(Run)
            .where(Run.id == run_id, Run.status == RunStatus.QUEUED, Run.cancel_requested.is_(False))
            .values(
                status=RunStatus.RUNNING,
                started_at=func.coalesce(Run.started_at, now),
                status_message="starting",
                attempts=Run.attempts + 1,
                lease_owner=owner,
                lease_expires_at=now + lease_expiry(),
            )
        )
    claimed: bool = result.rowcount == 1  # type: ignore[attr-defined]
    if claimed:
        notify_run_changed(run_id)
    return claimed


def exists(run_id: int) -> bool:
    with get_sessionmaker()() as session:
        return session.scalar(select(Run.id).where(Run.id == run_id)) is not None


def prepare_resume(run_id: int) -> Resume | None:
    """The latest checkpoint an earlier attempt left, with the metrics logged after it removed
    (the resumed trainer logs those steps again). None when there is no checkpoint: then no metric stays."""
    with get_sessionmaker().begin() as session:
        checkpoints = session.scalars(
            select(Checkpoint)
            .where(Checkpoint.run_id == run_id, Checkpoint.is_final.is_(False))
            .order_by(Checkpoint.step.desc())
        ).all()
        storage = LocalStorage(get_settings().storage_dir)
        usable = next((c for c in checkpoints if storage.local_path(c.storage_key).is_dir()), None)
        # Resuming, step 0's validation loss (the base model's) stays: the curve keeps its starting point and the base
        # model is not evaluated again. Starting over evaluates it again, so nothing of the earlier attempt stays.
        after = usable.step if usable else -1
        session.execute(delete(Metric).where(Metric.run_id == run_id, Metric.step > after))
        _recompute_list_figures(session, run_id)
        session.execute(delete(PinnedAnswer).where(PinnedAnswer.run_id == run_id, PinnedAnswer.step > after))
        # Final weights an earlier attempt recorded before it died are trained and saved again.
        session.execute(delete(Checkpoint).where(Checkpoint.run_id == run_id, Checkpoint.is_final.is_(True)))
        if usable is None:
            return None
        session.execute(delete(Checkpoint).where(Checkpoint.run_id == run_id, Checkpoint.step > after))
        step_zero = dict(
            session.execute(
                select(Metric.name, Metric.value).where(
                    Metric.run_id == run_id, Metric.step == 0, Metric.name.in_(["eval_loss", UNQUANTISED_EVAL_LOSS])
                )
            )
            .tuples()
            .all()
        )
        return Resume(
            storage.local_path(usable.storage_key),
            usable.step,
            _finite(step_zero.get("eval_loss")),
            _finite(step_zero.get(UNQUANTISED_EVAL_LOSS)),
        )


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _recompute_list_figures(session: Session, run_id: int) -> None:
    """The runs list's figures from the run's metrics as they now stand (those of a lost attempt are gone)."""
    points = session.execute(
        select(Metric.step, Metric.name, Metric.value).where(Metric.run_id == run_id).order_by(Metric.step, Metric.id)
    ).all()
    session.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(
            step=max((p.step for p in points), default=None),
            best_eval_loss=min(
                (p.value for p in points if p.name == "eval_loss" and p.step > 0 and math.isfinite(p.value)),
                default=None,
            ),
            loss_sparkline=sparkline.build((p.step, p.value) for p in points if p.name == "train_loss"),
        )
    )


@contextmanager
def _leased(run_id: int, owner: str) -> Iterator[tuple[Session, Run | None]]:
    """A transaction with the run's row locked, and the run if `owner` still holds its lease (else None: write
    nothing). The row lock makes a reaper that takes the run over meanwhile wait, so the check holds at the write."""
    with get_sessionmaker().begin() as session:
        yield session, session.scalar(select(Run).where(Run.id == run_id, Run.lease_owner == owner).with_for_update())


def update_config(run_id: int, owner: str, changes: dict[str, Any]) -> bool:
    """Store settings the worker changed (an out-of-memory retry's smaller batches), so the run's config says what
    actually trained (and a worker that resumes it uses them). Fenced by the lease; False when fenced off."""
    with _leased(run_id, owner) as (_session, run):
        if run is not None:
            run.config = {**run.config, **changes}
        return run is not None


def record_preflight(run_id: int, owner: str, figures: dict[str, Any]) -> bool:
    """The pre-flight's measurements as environment["preflight"], for the run page's ETA. Fenced by the lease."""
    with _leased(run_id, owner) as (_session, run):
        if run is not None:
            run.environment = {**(run.environment or {}), "preflight": figures}
        return run is not None


def load_inputs(run_id: int) -> RunInputs:
    with get_sessionmaker()() as session:
        run = session.get_one(Run, run_id)
        base_model = session.scalars(select(BaseModelEntry).where(BaseModelEntry.name == run.base_model)).one()
        session.expunge(base_model)
        rows = session.scalars(
            select(DatasetExample)
            .where(DatasetExample.dataset_id == run.dataset_id)
            .order_by(DatasetExample.row_number)
        ).all()
        by_split: dict[Split, list[DatasetExample]] = {split: [] for split in Split}
        for row in rows:
            by_split[row.split].append(row)

        def examples(split: Split) -> list[AnyRecord]:
            return [RECORD.validate_python(r.record) for r in by_split[split]]

        return RunInputs(
            config=TrainingConfig.model_validate(run.config),
            base_model=base_model,
            data=SplitData(
                train=examples(Split.TRAIN),
                validation=examples(Split.VALIDATION),
                test=examples(Split.TEST),
                validation_ids=[r.id for r in by_split[Split.VALIDATION]],
            ),
            test_example_ids=[r.id for r in by_split[Split.TEST]],
            preflight=run.preflight,
        )


def record_final_weights(run_id: int, owner: str, weights_dir: Path, step: int, eval_loss: float | None) -> bool:
    """The run's final weights (adapter/ or model/) as its one is_final checkpoint: the API offers downloads from
    there. Fenced by the lease like finish(); False when fenced off."""
    key = str(weights_dir.resolve().relative_to(LocalStorage(get_settings().storage_dir).root))
    with _leased(run_id, owner) as (session, run):
        if run is None:
            return False
        session.execute(delete(Checkpoint).where(Checkpoint.run_id == run_id, Checkpoint.is_final.is_(True)))
        session.execute(
            insert(Checkpoint).values(run_id=run_id, step=step, storage_key=key, eval_loss=eval_loss, is_final=True)
        )
        return True


def finish(
    run_id: int, owner: str, status: RunStatus, message: str, *, answers: Answers | None = None, **values: Any
) -> bool:
    """The run's final state and its two automatic evaluations in one transaction, fenced by the lease:
    a worker that lost the run to another writes nothing. False when fenced off.

    The verdict also ends the run's log: a success's summary, a failure's reason. (A cancel is there already:
    training logged the step it stopped at.) Once committed, the run's end goes to its webhooks."""
    with get_sessionmaker().begin() as session:
        if "environment" in values:
            # What was recorded while the run trained (the pre-flight's figures) stays next to the final facts.
            earlier = session.scalar(select(Run.environment).where(Run.id == run_id))
            values["environment"] = {**(earlier or {}), **values["environment"]}
        now = utcnow()
        started_at = session.scalar(select(Run.started_at).where(Run.id == run_id))
        result = session.execute(
            update(Run)
            .where(Run.id == run_id, Run.lease_owner == owner)
            .values(
                status=status,
                status_message=message,
                finished_at=now,
                duration_seconds=duration_seconds(started_at, now),
                lease_owner=None,
                **values,
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            session.rollback()
            return False
        verdict = {RunStatus.SUCCEEDED: LogKind.INFO, RunStatus.FAILED: LogKind.ERROR}.get(status)
        if verdict is not None:
            text = values.get("error") or message
            session.execute(insert_log_line(run_id, verdict, text))
        if answers is not None:
            run = session.get_one(Run, run_id)
            fingerprint = (values.get("environment") or {}).get("base_model", {}).get("fingerprint")
            record_automatic(session, run, answers, fingerprint)
        webhook_url = session.scalar(select(Run.webhook_url).where(Run.id == run_id))
    notify_run_changed(run_id)
    announce(run_id, status, webhook_url)
    return True

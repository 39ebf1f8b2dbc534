"""The worker's reads and writes of run state. State lives in the database, never in Celery results."""

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from backend.core.db import get_sessionmaker
from backend.models import BaseModelEntry, DatasetExample, Prediction, Run, RunStatus, Split, utcnow
from worker.training.config import TrainingConfig
from worker.training.templates import Record
from worker.training.types import AnyRecord, SplitData

RECORD: TypeAdapter[AnyRecord] = TypeAdapter(Record)


@dataclass(frozen=True)
class RunInputs:
    config: TrainingConfig
    base_model: BaseModelEntry
    data: SplitData
    test_example_ids: list[int]


def claim(run_id: int) -> bool:
    """queued → running in one statement, so a run cancelled meanwhile (or claimed elsewhere) is skipped."""
    with get_sessionmaker().begin() as session:
        result = session.execute(
            update(Run)
            .where(Run.id == run_id, Run.status == RunStatus.QUEUED, Run.cancel_requested.is_(False))
            .values(status=RunStatus.RUNNING, started_at=utcnow(), status_message="starting")
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


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
                train=examples(Split.TRAIN), validation=examples(Split.VALIDATION), test=examples(Split.TEST)
            ),
            test_example_ids=[r.id for r in by_split[Split.TEST]],
        )


def save_predictions(
    run_id: int, example_ids: list[int], prompts: list[str], expected: list[str], tuned: list[str], base: list[str]
) -> None:
    rows = [
        {"run_id": run_id, "example_id": i, "prompt": p, "expected": e, "generated": t, "base_generated": b}
        for i, p, e, t, b in zip(example_ids, prompts, expected, tuned, base, strict=True)
    ]
    with get_sessionmaker().begin() as session:
        session.execute(insert(Prediction), rows)


def finish(run_id: int, status: RunStatus, message: str, **values: Any) -> None:
    with get_sessionmaker().begin() as session:
        _finish(session, run_id, status, message, values)


def _finish(session: Session, run_id: int, status: RunStatus, message: str, values: dict[str, Any]) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(status=status, status_message=message, finished_at=utcnow(), **values)
    )

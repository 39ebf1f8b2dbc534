"""Evaluations in the database: a finished run's two automatic ones (its fine-tuned model's and its base model's
answers to the test split, written in the transaction that finishes the run), and the worker's reads and writes of
one created on demand (claimed, its progress, its answers scored)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.storage import LocalStorage
from backend.models import (
    AnswerSource,
    BaseModelEntry,
    Checkpoint,
    DatasetExample,
    Evaluation,
    EvaluationPrediction,
    Run,
    RunStatus,
    Split,
    utcnow,
)
from domain.config import TrainingConfig
from domain.decoding import Decoding
from domain.records import RECORD, AnyRecord
from domain.scoring.answers import score_answers
from worker.leases import lease_expiry


@dataclass(frozen=True)
class Answers:
    example_ids: list[int]
    prompts: list[str]
    expected: list[str]
    tuned: list[str]
    base: list[str]


def record_automatic(session: Session, run: Run, answers: Answers, fingerprint: str | None) -> None:
    # Greedy, as the run generated its test answers (worker.training.generate).
    decoding = {"strategy": "greedy", "max_new_tokens": run.config.get("max_new_tokens")}
    headline: dict[AnswerSource, float | None] = {}
    for source, generated in ((AnswerSource.FINE_TUNED, answers.tuned), (AnswerSource.BASE, answers.base)):
        scored = score_answers(generated, answers.expected, seed=run.id)
        evaluation = Evaluation(
            owner_id=run.owner_id,
            run_id=run.id,
            model=source,
            checkpoint_step=None,
            dataset_id=run.dataset_id,
            split=Split.TEST,
            template=run.config.get("template", ""),
            decoding=decoding,
            base_model_fingerprint=fingerprint,
            status=RunStatus.SUCCEEDED,
            done=len(generated),
            total=len(generated),
            metrics=scored.metrics,
            finished_at=utcnow(),
        )
        session.add(evaluation)
        session.flush()
        headline[source] = scored.metrics.get("rouge_l", {}).get("value")
        rows: list[dict[str, Any]] = [
            {
                "evaluation_id": evaluation.id,
                "example_id": example_id,
                "prompt": prompt,
                "expected": expected,
                "generated": text,
                "scores": scores,
            }
            for example_id, prompt, expected, text, scores in zip(
                answers.example_ids, answers.prompts, answers.expected, generated, scored.per_example, strict=True
            )
        ]
        if rows:
            session.execute(insert(EvaluationPrediction), rows)
    # The runs list's headline: ROUGE-L of the fine-tuned model and its change against the base model's.
    tuned, base = headline.get(AnswerSource.FINE_TUNED), headline.get(AnswerSource.BASE)
    run.rouge_l = tuned
    run.rouge_l_change = tuned - base if tuned is not None and base is not None else None


@dataclass(frozen=True)
class EvaluationInputs:
    config: TrainingConfig  # the run's: its template and template context
    base_model: BaseModelEntry
    weights_dir: Path | None  # None: the base model alone
    decoding: Decoding
    max_new_tokens: int
    batch_size: int | None  # None: as many as fit in memory
    example_ids: list[int]
    records: list[AnyRecord]


def claim(evaluation_id: int, owner: str) -> bool:
    """queued → running under `owner`'s lease in one statement: an evaluation cancelled meanwhile, or claimed by another
    worker (a task delivered twice), is skipped."""
    with get_sessionmaker().begin() as session:
        result = session.execute(
            update(Evaluation)
            .where(
                Evaluation.id == evaluation_id,
                Evaluation.status == RunStatus.QUEUED,
                Evaluation.cancel_requested.is_(False),
            )
            .values(
                status=RunStatus.RUNNING,
                lease_owner=owner,
                lease_expires_at=utcnow() + lease_expiry(),
                attempts=Evaluation.attempts + 1,
                started_at=utcnow(),
            )
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


def load_inputs(evaluation_id: int) -> EvaluationInputs:
    with get_sessionmaker()() as session:
        evaluation = session.get_one(Evaluation, evaluation_id)
        assert evaluation.run_id is not None  # an evaluation created on demand always has its run
        run = session.get_one(Run, evaluation.run_id)
        base_model = session.scalars(select(BaseModelEntry).where(BaseModelEntry.name == run.base_model)).one()
        session.expunge(base_model)
        query = select(DatasetExample).where(DatasetExample.dataset_id == evaluation.dataset_id)
        if evaluation.split is not None:
            query = query.where(DatasetExample.split == evaluation.split)
        rows = session.scalars(query.order_by(DatasetExample.row_number)).all()
        decoding = dict(evaluation.decoding)
        max_new_tokens, batch_size = int(decoding.pop("max_new_tokens")), decoding.pop("batch_size", None)
        return EvaluationInputs(
            config=TrainingConfig.model_validate(run.config),
            base_model=base_model,
            weights_dir=weights_dir(session, evaluation),
            decoding=Decoding.model_validate(decoding),
            max_new_tokens=max_new_tokens,
            batch_size=batch_size,
            example_ids=[row.id for row in rows],
            records=[RECORD.validate_python(row.record) for row in rows],
        )


def weights_dir(session: Session, evaluation: Evaluation) -> Path | None:
    if evaluation.model == AnswerSource.BASE:
        return None
    query = select(Checkpoint).where(Checkpoint.run_id == evaluation.run_id)
    if evaluation.checkpoint_step is None:
        query = query.where(Checkpoint.is_final.is_(True))
    else:
        query = query.where(Checkpoint.step == evaluation.checkpoint_step, Checkpoint.is_final.is_(False))
    checkpoint = session.scalars(query.order_by(Checkpoint.id.desc())).first()
    what = "final weights" if evaluation.checkpoint_step is None else f"checkpoint at step {evaluation.checkpoint_step}"
    if checkpoint is None:
        raise FileNotFoundError(f"run {evaluation.run_id} has no {what}")
    directory = LocalStorage(get_settings().storage_dir).local_path(checkpoint.storage_key)
    if not directory.is_dir():
        raise FileNotFoundError(f"run {evaluation.run_id}'s {what} are no longer on disk")
    return directory


def record_progress(evaluation_id: int, owner: str, done: int) -> bool:
    """The examples answered so far; False when a cancel was asked or the lease was lost (the worker then stops)."""
    with get_sessionmaker().begin() as session:
        result = session.execute(
            update(Evaluation)
            .where(
                Evaluation.id == evaluation_id,
                Evaluation.status == RunStatus.RUNNING,
                Evaluation.lease_owner == owner,
            )
            .values(done=done)
        )
        cancel = session.scalar(select(Evaluation.cancel_requested).where(Evaluation.id == evaluation_id))
        return bool(result.rowcount) and not cancel  # type: ignore[attr-defined]


def finish(
    evaluation_id: int,
    owner: str,
    status: RunStatus,
    *,
    error: str | None = None,
    example_ids: list[int] | None = None,
    prompts: list[str] | None = None,
    expected: list[str] | None = None,
    generated: list[str] | None = None,
) -> bool:
    """The evaluation's final state, and on success its scored answers, in one transaction. Only a running
    evaluation under `owner`'s lease is finished: False when it was not (finished already, or taken over)."""
    with get_sessionmaker().begin() as session:
        values: dict[str, Any] = {"status": status, "error": error, "finished_at": utcnow(), "lease_owner": None}
        scored = None
        if generated is not None:
            assert example_ids is not None and prompts is not None and expected is not None
            scored = score_answers(generated, expected, seed=evaluation_id)
            values |= {"metrics": scored.metrics, "done": len(generated)}
        result = session.execute(
            update(Evaluation)
            .where(
                Evaluation.id == evaluation_id,
                Evaluation.status == RunStatus.RUNNING,
                Evaluation.lease_owner == owner,
            )
            .values(**values)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            session.rollback()
            return False
        if scored is not None and generated:
            assert example_ids is not None and prompts is not None and expected is not None
            rows = [
                {
                    "evaluation_id": evaluation_id,
                    "example_id": example_id,
                    "prompt": prompt,
                    "expected": answer,
                    "generated": text,
                    "scores": scores,
                }
                for example_id, prompt, answer, text, scores in zip(
                    example_ids, prompts, expected, generated, scored.per_example, strict=True
                )
            ]
            session.execute(insert(EvaluationPrediction), rows)
        return True

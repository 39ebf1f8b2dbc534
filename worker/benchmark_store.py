"""A multiple_choice evaluation in the database, as the worker reads and writes it: its benchmark's questions and the
weights that answer them, then every question's log-likelihoods and the scores, in the transaction that finishes it.
Claiming, progress, cancelling and failing are every evaluation's (worker.evaluation_store)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from backend.core.db import get_sessionmaker
from backend.models import (
    BaseModelEntry,
    BenchmarkAnswer,
    BenchmarkQuestion,
    Evaluation,
    EvaluationKind,
    Run,
    RunStatus,
    utcnow,
)
from domain.scoring.choices import ChoiceQuestion, answer, score_choices
from worker.evaluation_store import weights_dir

# Questions scored together when the request leaves it open: each is a row per choice, so fewer than prompts.
DEFAULT_QUESTIONS_PER_BATCH = 8


@dataclass(frozen=True)
class BenchmarkInputs:
    base_model: BaseModelEntry
    weights_dir: Path | None  # None: the base model alone
    batch_size: int
    question_ids: list[int]
    questions: list[ChoiceQuestion]
    answers: list[int]  # the right choice of each
    subjects: list[str | None]


def is_multiple_choice(evaluation_id: int) -> bool:
    with get_sessionmaker()() as session:
        kind = session.scalar(select(Evaluation.kind).where(Evaluation.id == evaluation_id))
        return kind == EvaluationKind.MULTIPLE_CHOICE


def load_inputs(evaluation_id: int) -> BenchmarkInputs:
    with get_sessionmaker()() as session:
        evaluation = session.get_one(Evaluation, evaluation_id)
        run = session.get_one(Run, evaluation.run_id)
        base_model = session.scalars(select(BaseModelEntry).where(BaseModelEntry.name == run.base_model)).one()
        session.expunge(base_model)
        rows = session.scalars(
            select(BenchmarkQuestion)
            .where(BenchmarkQuestion.benchmark_id == evaluation.benchmark_id)
            .order_by(BenchmarkQuestion.number)
        ).all()
        return BenchmarkInputs(
            base_model=base_model,
            weights_dir=weights_dir(session, evaluation),
            batch_size=int(evaluation.decoding.get("batch_size") or DEFAULT_QUESTIONS_PER_BATCH),
            question_ids=[row.id for row in rows],
            questions=[ChoiceQuestion(row.question, list(row.choices)) for row in rows],
            answers=[row.answer for row in rows],
            subjects=[row.subject for row in rows],
        )


def finish(evaluation_id: int, owner: str, inputs: BenchmarkInputs, logliks: list[list[float]]) -> bool:
    """Succeeded, with every question's answer and the scores, in one transaction. Only a running evaluation under
    `owner`'s lease is finished: False when it was not (finished already, or taken over)."""
    answers = [
        answer(values, question.choices, correct, subject)
        for values, question, correct, subject in zip(
            logliks, inputs.questions, inputs.answers, inputs.subjects, strict=True
        )
    ]
    scored = score_choices(answers, seed=evaluation_id)
    with get_sessionmaker().begin() as session:
        result = session.execute(
            update(Evaluation)
            .where(
                Evaluation.id == evaluation_id,
                Evaluation.status == RunStatus.RUNNING,
                Evaluation.lease_owner == owner,
            )
            .values(
                status=RunStatus.SUCCEEDED,
                lease_owner=None,
                metrics=scored.metrics,
                subjects=scored.subjects,
                done=len(answers),
                finished_at=utcnow(),
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            session.rollback()
            return False
        rows: list[dict[str, Any]] = [
            {
                "evaluation_id": evaluation_id,
                "question_id": question_id,
                "subject": item.subject,
                "correct": item.correct,
                "chosen": item.chosen,
                "chosen_norm": item.chosen_norm,
                "logliks": values,
            }
            for question_id, item, values in zip(inputs.question_ids, answers, logliks, strict=True)
        ]
        if rows:
            session.execute(insert(BenchmarkAnswer), rows)
        return True

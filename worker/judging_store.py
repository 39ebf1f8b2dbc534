"""Judgings in the database, as the worker sees them: claimed, their inputs read, progress written (a cancel seen),
and the judge's results written in the transaction that finishes them. Every write after the claim is fenced by
`status = running`: a judging cancelled meanwhile is left as the user left it."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from backend.core.db import get_sessionmaker
from backend.core.queue import BrokerUnreachable, enqueue_judging
from backend.core.secret_key import decrypt
from backend.models import (
    BaseModelEntry,
    DatasetExample,
    Evaluation,
    EvaluationPrediction,
    Judge,
    JudgeKind,
    Judging,
    JudgingKind,
    PairJudgement,
    PairWinner,
    RunStatus,
    User,
    utcnow,
)
from domain.judging import task_and_input
from domain.records import RECORD
from domain.scoring.bootstrap import aggregate
from domain.scoring.metrics import JUDGE_SCORE
from domain.text import plural
from worker.judge import JudgeEndpoint, JudgeItem, Judgement, PairItem
from worker.judge import PairJudgement as PairResult


class CannotJudge(Exception):
    """The judging cannot start (its judge was deleted, its key cannot be decrypted): the message says why."""


@dataclass(frozen=True)
class JudgeSetup:
    """What answers: an endpoint (openai) or a base model of the studio's (base_model)."""

    kind: JudgeKind
    endpoint: JudgeEndpoint | None = None
    base_model: BaseModelEntry | None = None  # detached from its session


@dataclass(frozen=True)
class JudgingInputs:
    kind: JudgingKind
    rubric: str
    judge: JudgeSetup
    # score: the predictions graded, in order, and what the judge sees of each.
    prediction_ids: list[int] = field(default_factory=list)
    items: list[JudgeItem] = field(default_factory=list)
    # pairwise: the examples both evaluations answered, in A's order, and the two answers to each.
    example_ids: list[int] = field(default_factory=list)
    pairs: list[PairItem] = field(default_factory=list)


def claim(judging_id: int) -> bool:
    """queued → running in one statement: a judging cancelled meanwhile, or claimed by another worker (a task
    delivered twice), is skipped."""
    with get_sessionmaker().begin() as session:
        result = session.execute(
            update(Judging)
            .where(Judging.id == judging_id, Judging.status == RunStatus.QUEUED)
            .values(status=RunStatus.RUNNING, started_at=utcnow())
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


def load_inputs(judging_id: int) -> JudgingInputs:
    with get_sessionmaker().begin() as session:
        judging = session.get_one(Judging, judging_id)
        judge = session.get(Judge, judging.judge_id) if judging.judge_id is not None else None
        if judge is None:
            raise CannotJudge(f"the judge '{judging.judge_name}' was deleted")
        # The judge as it answers now (it may have been edited since the judging was asked for).
        judging.judge_name, judging.judge_model = judge.name, judge.model
        setup = _setup(session, judge)
        inputs: JudgingInputs
        if judging.kind == JudgingKind.SCORE:
            rows = _answers(session, judging.evaluation_id)
            inputs = JudgingInputs(
                judging.kind,
                judging.rubric,
                setup,
                prediction_ids=[prediction.id for prediction, _ in rows],
                items=[
                    JudgeItem(
                        *task_and_input(RECORD.validate_python(record)), prediction.expected, prediction.generated
                    )
                    for prediction, record in rows
                ],
            )
        else:
            assert judging.versus_evaluation_id is not None  # a pairwise judging has its B
            b_answers = {
                prediction.example_id: prediction for prediction, _ in _answers(session, judging.versus_evaluation_id)
            }
            rows = [(a, record) for a, record in _answers(session, judging.evaluation_id) if a.example_id in b_answers]
            inputs = JudgingInputs(
                judging.kind,
                judging.rubric,
                setup,
                example_ids=[a.example_id for a, _ in rows],
                pairs=[
                    PairItem(
                        *task_and_input(RECORD.validate_python(record)), a.generated, b_answers[a.example_id].generated
                    )
                    for a, record in rows
                ],
            )
        judging.total = len(inputs.items) + len(inputs.pairs)
        return inputs


def _setup(session: Session, judge: Judge) -> JudgeSetup:
    if judge.kind == JudgeKind.BASE_MODEL:
        entry = session.scalar(select(BaseModelEntry).where(BaseModelEntry.name == judge.model))
        if entry is None:
            raise CannotJudge(f"the judge's base model '{judge.model}' is no longer registered")
        session.expunge(entry)
        return JudgeSetup(judge.kind, base_model=entry)
    assert judge.base_url is not None  # an openai judge always has one
    try:
        key = decrypt(judge.api_key_encrypted) if judge.api_key_encrypted is not None else ""
    except ValueError as exc:
        raise CannotJudge(f"{exc}: enter the judge's API key again") from exc
    # The owner's role now, as when the judge was saved: an admin demoted since no longer calls inside the network.
    owner = session.get_one(User, judge.owner_id)
    endpoint = JudgeEndpoint(base_url=judge.base_url, model=judge.model, api_key=key, may_call_internal=owner.is_admin)
    return JudgeSetup(judge.kind, endpoint=endpoint)


def _answers(session: Session, evaluation_id: int) -> list[tuple[EvaluationPrediction, dict[str, Any]]]:
    """An evaluation's answers in order, each with its example's record (the task and input the judge sees)."""
    rows = session.execute(
        select(EvaluationPrediction, DatasetExample.record)
        .join(DatasetExample, DatasetExample.id == EvaluationPrediction.example_id)
        .where(EvaluationPrediction.evaluation_id == evaluation_id)
        .order_by(EvaluationPrediction.id)
    )
    return list(rows.tuples())


def record_progress(judging_id: int, done: int) -> bool:
    """The examples judged so far; False when the judging is no longer running (cancelled: the worker stops)."""
    with get_sessionmaker().begin() as session:
        result = session.execute(
            update(Judging).where(Judging.id == judging_id, Judging.status == RunStatus.RUNNING).values(done=done)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


def finish_scores(judging_id: int, prediction_ids: Sequence[int], judgements: Sequence[Judgement]) -> bool:
    """Each answer's judge score (0-1: the judge's 0-100 over 100), explanation or reason for none, and the
    evaluation's judge_score metric over the judged answers, with the judging's totals: one transaction. False
    when the judging was no longer running."""
    with get_sessionmaker().begin() as session:
        judged = [j for j in judgements if j.score is not None]
        values = _totals(judgements, judged=len(judged), reasons=[j.not_judged_reason for j in judgements])
        judging = _finish(session, judging_id, values)
        if judging is None:
            return False
        predictions = {
            row.id: row
            for row in session.scalars(select(EvaluationPrediction).where(EvaluationPrediction.id.in_(prediction_ids)))
        }
        for prediction_id, judgement in zip(prediction_ids, judgements, strict=True):
            row = predictions[prediction_id]
            scores = {name: value for name, value in row.scores.items() if name != JUDGE_SCORE}
            if judgement.score is not None:
                scores[JUDGE_SCORE] = judgement.score / 100
            row.scores = scores
            row.judge_explanation = judgement.explanation if judgement.score is not None else None
            row.not_judged_reason = judgement.not_judged_reason
        evaluation = session.get_one(Evaluation, judging.evaluation_id)
        metrics = {name: value for name, value in evaluation.metrics.items() if name != JUDGE_SCORE}
        if judged:
            metrics[JUDGE_SCORE] = asdict(
                aggregate([j.score / 100 for j in judged if j.score is not None], seed=evaluation.id)
            )
        evaluation.metrics = metrics
        return True


def finish_pairs(judging_id: int, example_ids: Sequence[int], judgements: Sequence[PairResult]) -> bool:
    """Each example's verdict and the judging's totals (A wins, B wins, ties, not judged), in one transaction."""
    with get_sessionmaker().begin() as session:
        winners = Counter(j.winner for j in judgements)
        values = _totals(
            judgements,
            judged=len(judgements) - winners[None],
            reasons=[j.not_judged_reason if j.winner is None else None for j in judgements],
        )
        values |= {"a_wins": winners["a"], "b_wins": winners["b"], "ties": winners["tie"]}
        if _finish(session, judging_id, values) is None:
            return False
        rows = [
            {
                "judging_id": judging_id,
                "example_id": example_id,
                "winner": PairWinner(j.winner) if j.winner is not None else None,
                "verdict": j.verdict,
                "swapped_verdict": j.swapped_verdict,
                "explanation": j.explanation,
                "not_judged_reason": j.not_judged_reason if j.winner is None else None,
                "prompt_tokens": j.prompt_tokens,
                "completion_tokens": j.completion_tokens,
            }
            for example_id, j in zip(example_ids, judgements, strict=True)
        ]
        if rows:
            session.execute(insert(PairJudgement), rows)
        return True


def _totals(judgements: Sequence[Judgement | PairResult], *, judged: int, reasons: list[str | None]) -> dict[str, Any]:
    """The counts and token sums every judging records; failed when there was something to judge and nothing was,
    with the commonest reason (a wrong key or URL fails every call the same way)."""
    total = len(judgements)
    values: dict[str, Any] = {
        "status": RunStatus.SUCCEEDED,
        "done": total,
        "total": total,
        "judged": judged,
        "not_judged": total - judged,
        "prompt_tokens": sum(j.prompt_tokens for j in judgements),
        "completion_tokens": sum(j.completion_tokens for j in judgements),
    }
    if total and not judged:
        reason, count = Counter(r for r in reasons if r is not None).most_common(1)[0]
        values |= {
            "status": RunStatus.FAILED,
            "error": f"nothing was judged; {plural(count, 'answer')} of {total} for this reason: {reason}",
        }
    return values


def _finish(session: Session, judging_id: int, values: dict[str, Any]) -> Judging | None:
    """The judging, finished with `values`, locked until the transaction ends; None when it was not running."""
    result = session.execute(
        update(Judging)
        .where(Judging.id == judging_id, Judging.status == RunStatus.RUNNING)
        .values(**values, finished_at=utcnow())
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return session.get_one(Judging, judging_id)


def fail(judging_id: int, error: str) -> None:
    with get_sessionmaker().begin() as session:
        session.execute(
            update(Judging)
            .where(Judging.id == judging_id, Judging.status == RunStatus.RUNNING)
            .values(status=RunStatus.FAILED, error=error, finished_at=utcnow())
        )


def release(evaluation_id: int) -> None:
    """Sends the judgings that waited for this evaluation's answers (asked for when it was created)."""
    with get_sessionmaker().begin() as session:
        waiting = session.scalars(
            select(Judging).where(Judging.evaluation_id == evaluation_id, Judging.status == RunStatus.QUEUED)
        ).all()
        for judging in waiting:
            try:
                enqueue_judging(judging.id, with_model=judging.judge_kind == JudgeKind.BASE_MODEL)
            except BrokerUnreachable:
                judging.status, judging.finished_at = RunStatus.FAILED, utcnow()
                judging.error = "the broker was unreachable: the judging was never sent to a worker; ask again"


def abandon(evaluation_id: int, reason: str) -> None:
    """Fails the judgings that waited for answers this evaluation will never have."""
    with get_sessionmaker().begin() as session:
        session.execute(
            update(Judging)
            .where(Judging.evaluation_id == evaluation_id, Judging.status == RunStatus.QUEUED)
            .values(status=RunStatus.FAILED, error=reason, finished_at=utcnow())
        )

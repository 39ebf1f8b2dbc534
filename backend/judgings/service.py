"""Judgings: a judge's pass over an evaluation's answers (score) or two evaluations' (pairwise), queued for a worker,
cancelled, read. Evaluations are loaded by the caller (backend.evaluations.service owns them)."""

import logging

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from backend.auth.ownership import can_see, owned_by
from backend.core.errors import Conflict, Invalid, NotFound, Unavailable
from backend.core.queue import BrokerUnreachable, enqueue_judging
from backend.judges.service import get_judge
from backend.judgings.schemas import JudgeRequest, PairJudgementOut, PairwiseJudgingCreate
from backend.models import (
    Evaluation,
    EvaluationKind,
    EvaluationPrediction,
    Judge,
    JudgeKind,
    Judging,
    JudgingKind,
    PairJudgement,
    RunStatus,
    User,
    utcnow,
)
from domain.judging import DEFAULT_RUBRIC, PAIRWISE_PLACEHOLDERS, PAIRWISE_RUBRIC, SCORE_PLACEHOLDERS, check_rubric
from domain.scoring.metrics import JUDGE_SCORE

log = logging.getLogger(__name__)

UNFINISHED = (RunStatus.QUEUED, RunStatus.RUNNING)


def check_request(
    session: Session, user: User, judge_id: int, rubric: str | None, kind: JudgingKind, field_prefix: str = ""
) -> tuple[Judge, str]:
    """The judge (404 when the user may not use it) and the rubric to ask with (the default when none is given);
    Invalid names the rubric field when a placeholder is missing."""
    judge = get_judge(session, judge_id, user)
    if rubric is None or not rubric.strip():
        return judge, DEFAULT_RUBRIC if kind == JudgingKind.SCORE else PAIRWISE_RUBRIC
    try:
        check_rubric(rubric, SCORE_PLACEHOLDERS if kind == JudgingKind.SCORE else PAIRWISE_PLACEHOLDERS)
    except ValueError as exc:
        raise Invalid(f"{field_prefix}rubric: {exc}", field=f"{field_prefix}rubric") from exc
    return judge, rubric


def add_judging(
    session: Session,
    user: User,
    judge: Judge,
    rubric: str,
    evaluation: Evaluation,
    *,
    versus: Evaluation | None = None,
    total: int,
) -> Judging:
    """A queued judging, flushed, not yet sent: the caller commits, then sends it (send) or leaves it for the
    evaluation's worker to send once the answers are in."""
    judging = Judging(
        owner_id=user.id,
        kind=JudgingKind.SCORE if versus is None else JudgingKind.PAIRWISE,
        evaluation_id=evaluation.id,
        versus_evaluation_id=versus.id if versus is not None else None,
        judge_id=judge.id,
        judge_name=judge.name,
        judge_kind=judge.kind,
        judge_model=judge.model,
        rubric=rubric,
        status=RunStatus.QUEUED,
        total=total,
    )
    session.add(judging)
    session.flush()
    return judging


def judge_evaluation(session: Session, user: User, evaluation: Evaluation, request: JudgeRequest) -> Judging:
    """A judging of a finished evaluation's answers, replacing its earlier judge scores, sent to a worker."""
    session.refresh(evaluation, with_for_update=True)  # one judging at a time: two requests at once wait here
    _check_generated(evaluation, "evaluation_id")
    if evaluation.status != RunStatus.SUCCEEDED:
        raise Conflict(
            f"evaluation {evaluation.id} is {evaluation.status.value}: only a succeeded evaluation has answers to "
            "judge (ask for a judge when creating one, and it judges once its answers are in)"
        )
    busy = session.scalar(
        select(Judging.id).where(
            Judging.kind == JudgingKind.SCORE, Judging.evaluation_id == evaluation.id, Judging.status.in_(UNFINISHED)
        )
    )
    if busy is not None:
        raise Conflict(f"evaluation {evaluation.id} is being judged (judging {busy}): cancel it first")
    judge, rubric = check_request(session, user, request.judge_id, request.rubric, JudgingKind.SCORE)
    clear_judge_scores(session, evaluation)
    total = session.scalar(select(func.count()).where(EvaluationPrediction.evaluation_id == evaluation.id))
    judging = add_judging(session, user, judge, rubric, evaluation, total=total or 0)
    session.commit()
    send(session, judging)
    return judging


def judge_pair(session: Session, user: User, a: Evaluation, b: Evaluation, request: PairwiseJudgingCreate) -> Judging:
    """Which of two evaluations answered each of their examples better, asked in both orders."""
    if a.id == b.id:
        raise Invalid("b: compare two different evaluations", field="b")
    for field, evaluation in (("a", a), ("b", b)):
        _check_generated(evaluation, field)
        if evaluation.status != RunStatus.SUCCEEDED:
            raise Conflict(
                f"{field}: evaluation {evaluation.id} is {evaluation.status.value}; only succeeded evaluations "
                "have answers to compare"
            )
    a_examples, b_examples = _example_ids(session, a), _example_ids(session, b)
    if a_examples != b_examples:
        raise Invalid(
            f"b: evaluations {a.id} and {b.id} answered different examples: compare evaluations of the same examples",
            field="b",
        )
    judge, rubric = check_request(session, user, request.judge_id, request.rubric, JudgingKind.PAIRWISE)
    judging = add_judging(session, user, judge, rubric, a, versus=b, total=len(a_examples))
    session.commit()
    send(session, judging)
    return judging


def send(session: Session, judging: Judging) -> None:
    """To the light queue (an endpoint) or the training queue (a base model); a broker out of reach fails the
    judging and answers 503."""
    try:
        enqueue_judging(judging.id, with_model=judging.judge_kind == JudgeKind.BASE_MODEL)
    except BrokerUnreachable as exc:
        log.warning("judging %s: the broker was unreachable", judging.id)
        judging.status = RunStatus.FAILED
        judging.error = "the broker was unreachable: the judging was never sent to a worker; ask again"
        judging.finished_at = utcnow()
        session.commit()
        raise Unavailable(f"the broker was unreachable ({type(exc).__name__}); try again shortly") from exc


def abandon_waiting(session: Session, evaluation: Evaluation, reason: str) -> None:
    """The judgings that waited for an evaluation that will never have answers: failed with the reason."""
    waiting = session.scalars(
        select(Judging).where(Judging.evaluation_id == evaluation.id, Judging.status == RunStatus.QUEUED)
    )
    for judging in waiting:
        judging.status, judging.error, judging.finished_at = RunStatus.FAILED, reason, utcnow()


def clear_judge_scores(session: Session, evaluation: Evaluation) -> None:
    """Judging again replaces the earlier judge scores: they go now, so that nothing mixes the two judgings."""
    if JUDGE_SCORE in evaluation.metrics:
        evaluation.metrics = {name: value for name, value in evaluation.metrics.items() if name != JUDGE_SCORE}
    rows = session.scalars(select(EvaluationPrediction).where(EvaluationPrediction.evaluation_id == evaluation.id))
    for row in rows:
        if JUDGE_SCORE in row.scores or row.judge_explanation is not None or row.not_judged_reason is not None:
            row.scores = {name: value for name, value in row.scores.items() if name != JUDGE_SCORE}
            row.judge_explanation = row.not_judged_reason = None


def list_judgings(session: Session, user: User, evaluation_id: int | None) -> list[Judging]:
    """Newest first."""
    query = select(Judging).where(owned_by(user, Judging.owner_id))
    if evaluation_id is not None:
        query = query.where(or_(Judging.evaluation_id == evaluation_id, Judging.versus_evaluation_id == evaluation_id))
    return list(session.scalars(query.order_by(Judging.id.desc())))


def get_judging(session: Session, judging_id: int, user: User) -> Judging:
    judging = session.get(Judging, judging_id)
    if judging is None or not can_see(user, judging.owner_id):
        raise NotFound(f"judging {judging_id} not found")
    return judging


def cancel_judging(session: Session, judging: Judging) -> Judging:
    """Ended at once, queued or running: the worker stops at its next progress write and writes no scores."""
    session.refresh(judging, with_for_update=True)  # the worker may be finishing it right now
    if judging.status.finished:
        raise Conflict(
            f"judging {judging.id} is already {judging.status.value}; only queued or running judgings can be cancelled"
        )
    judging.status, judging.finished_at = RunStatus.CANCELLED, utcnow()
    return judging


def list_pairs(session: Session, judging: Judging, *, offset: int, limit: int) -> tuple[list[PairJudgementOut], int]:
    if judging.kind != JudgingKind.PAIRWISE:
        raise Invalid(f"judging {judging.id} graded one evaluation: it has no pairs", field="judging_id")
    a, b = aliased(EvaluationPrediction), aliased(EvaluationPrediction)
    where = PairJudgement.judging_id == judging.id
    total = session.scalar(select(func.count()).where(where)) or 0
    rows = session.execute(
        select(PairJudgement, a, b)
        .join(a, (a.evaluation_id == judging.evaluation_id) & (a.example_id == PairJudgement.example_id))
        .join(b, (b.evaluation_id == judging.versus_evaluation_id) & (b.example_id == PairJudgement.example_id))
        .where(where)
        .order_by(PairJudgement.id)
        .offset(offset)
        .limit(limit)
    )
    pairs = [
        PairJudgementOut(
            example_id=pair.example_id,
            prompt=answer_a.prompt,
            expected=answer_a.expected,
            a_generated=answer_a.generated,
            b_generated=answer_b.generated,
            winner=pair.winner,
            verdict=pair.verdict,
            swapped_verdict=pair.swapped_verdict,
            explanation=pair.explanation,
            not_judged_reason=pair.not_judged_reason,
            prompt_tokens=pair.prompt_tokens,
            completion_tokens=pair.completion_tokens,
        )
        for pair, answer_a, answer_b in rows.tuples()
    ]
    return pairs, total


def _check_generated(evaluation: Evaluation, field: str) -> None:
    if evaluation.kind != EvaluationKind.GENERATION:
        raise Invalid(
            f"{field}: evaluation {evaluation.id} is a {evaluation.kind.value} benchmark, scored by the likelihood of "
            "each choice: a judge grades generated answers",
            field=field,
        )


def _example_ids(session: Session, evaluation: Evaluation) -> set[int]:
    query = select(EvaluationPrediction.example_id).where(EvaluationPrediction.evaluation_id == evaluation.id)
    return set(session.scalars(query))

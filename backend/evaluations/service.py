"""Reading evaluations: a run's, one by id, its scored answers."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.auth.ownership import can_see, owned_by
from backend.core.errors import NotFound
from backend.models import Evaluation, EvaluationPrediction, User


def list_evaluations(session: Session, user: User, run_id: int | None) -> list[Evaluation]:
    query = select(Evaluation).where(owned_by(user, Evaluation.owner_id))
    if run_id is not None:
        query = query.where(Evaluation.run_id == run_id)
    return list(session.scalars(query.order_by(Evaluation.id)))


def get_evaluation(session: Session, evaluation_id: int, user: User) -> Evaluation:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None or not can_see(user, evaluation.owner_id):
        raise NotFound(f"evaluation {evaluation_id} not found")
    return evaluation


def list_predictions(
    session: Session, evaluation: Evaluation, *, offset: int, limit: int
) -> tuple[list[EvaluationPrediction], int]:
    where = EvaluationPrediction.evaluation_id == evaluation.id
    total = session.scalar(select(func.count()).where(where)) or 0
    rows = session.scalars(
        select(EvaluationPrediction).where(where).order_by(EvaluationPrediction.id).offset(offset).limit(limit)
    )
    return list(rows), total

"""Load-or-404 dependencies of the evaluation routes (and the reviews of an evaluation's answers)."""

from typing import Annotated

from fastapi import Depends

from backend.auth.dependencies import CurrentUser
from backend.core.db import SessionDep
from backend.core.params import Id
from backend.evaluations.service import get_evaluation
from backend.models import Evaluation


def load_evaluation(session: SessionDep, user: CurrentUser, evaluation_id: Id) -> Evaluation:
    return get_evaluation(session, evaluation_id, user)


EvaluationDep = Annotated[Evaluation, Depends(load_evaluation)]

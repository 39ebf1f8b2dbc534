"""Load-or-404 dependencies of the run routes."""

from typing import Annotated

from fastapi import Depends

from backend.auth.dependencies import CurrentUser
from backend.core.db import SessionDep
from backend.core.params import Id
from backend.models import Run
from backend.runs.service import get_run


def load_run(session: SessionDep, user: CurrentUser, run_id: Id) -> Run:
    return get_run(session, run_id, user)


RunDep = Annotated[Run, Depends(load_run)]

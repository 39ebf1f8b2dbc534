"""Load-or-404 dependencies of the base model routes."""

from typing import Annotated

from fastapi import Depends

from backend.base_models.service import get_base_model
from backend.core.db import SessionDep
from backend.core.params import Id
from backend.models import BaseModelEntry


def load_base_model(session: SessionDep, model_id: Id) -> BaseModelEntry:
    return get_base_model(session, model_id)


BaseModelDep = Annotated[BaseModelEntry, Depends(load_base_model)]

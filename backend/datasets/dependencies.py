"""Load-or-404 dependencies of the dataset routes."""

from typing import Annotated

from fastapi import Depends

from backend.auth.dependencies import CurrentUser
from backend.core.db import SessionDep
from backend.core.params import Id
from backend.datasets.service import get_dataset
from backend.models import Dataset


def load_dataset(session: SessionDep, user: CurrentUser, dataset_id: Id) -> Dataset:
    return get_dataset(session, dataset_id, user)


DatasetDep = Annotated[Dataset, Depends(load_dataset)]

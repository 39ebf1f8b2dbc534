"""Load-or-404 dependencies of the dataset routes."""

from typing import Annotated

from fastapi import Depends

from backend.core.db import SessionDep
from backend.core.params import Id
from backend.datasets.service import get_dataset
from backend.models import Dataset


def load_dataset(session: SessionDep, dataset_id: Id) -> Dataset:
    return get_dataset(session, dataset_id)


DatasetDep = Annotated[Dataset, Depends(load_dataset)]

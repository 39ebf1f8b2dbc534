from datetime import datetime

from pydantic import BaseModel, ConfigDict

from backend.models import Split
from worker.training.templates import Record


class DatasetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    format: str
    shape: str
    template: str
    num_dropped: int
    num_rows: int
    num_train: int
    num_validation: int
    num_test: int
    split_seed: int
    split_hash: str
    created_at: datetime


class ExampleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    row_number: int
    split: Split
    record: Record
    label: str | None

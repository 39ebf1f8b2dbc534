from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PresetCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    hyperparameters: dict[str, Any] = Field(
        default_factory=dict, description="Overrides of the training defaults; see GET /api/hyperparameters."
    )


class PresetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    version: int
    builtin: bool
    hyperparameters: dict[str, Any]
    created_at: datetime

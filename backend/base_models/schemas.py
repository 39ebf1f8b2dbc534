from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from backend.models import BASE_MODEL_NAME_CHARS


class BaseModelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    source: str
    location: str
    description: str
    created_at: datetime


class BaseModelRegister(BaseModel):
    name_or_path: str = Field(
        min_length=1,
        max_length=BASE_MODEL_NAME_CHARS,
        description="An absolute path to a local Hugging Face model directory, or a hub id such as org/name.",
    )

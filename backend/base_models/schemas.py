from datetime import datetime

from pydantic import BaseModel, ConfigDict


class BaseModelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    source: str
    location: str
    description: str
    created_at: datetime

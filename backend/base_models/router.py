from fastapi import APIRouter

from backend.base_models import service
from backend.base_models.schemas import BaseModelOut
from backend.core.db import SessionDep
from backend.core.schemas import Page

router = APIRouter(prefix="/api/models", tags=["models"])


@router.get("", response_model=Page[BaseModelOut], operation_id="listBaseModels")
def list_base_models(session: SessionDep) -> Page[BaseModelOut]:
    models = service.list_base_models(session)
    return Page(items=[BaseModelOut.model_validate(m) for m in models], total=len(models))

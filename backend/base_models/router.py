from fastapi import APIRouter, status

from backend.auth.dependencies import CreatorUser
from backend.base_models import service
from backend.base_models.schemas import BaseModelOut, BaseModelRegister
from backend.core.db import SessionDep
from backend.core.errors import Invalid, error_responses
from backend.core.schemas import Page
from backend.models import BaseModelEntry

router = APIRouter(prefix="/api/models", tags=["models"])


@router.get("", response_model=Page[BaseModelOut], operation_id="listBaseModels")
def list_base_models(session: SessionDep) -> Page[BaseModelOut]:
    models = service.list_base_models(session)
    return Page(items=[BaseModelOut.model_validate(m) for m in models], total=len(models))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=BaseModelOut,
    operation_id="registerBaseModel",
    responses=error_responses(Invalid),
)
def register_base_model(session: SessionDep, user: CreatorUser, request: BaseModelRegister) -> BaseModelEntry:
    return service.resolve_base_model(session, user, request.name_or_path)

from fastapi import APIRouter, status

from backend.auth.dependencies import AdminUser, CreatorUser
from backend.base_models import service
from backend.base_models.dependencies import BaseModelDep
from backend.base_models.schemas import BaseModelOut, BaseModelRegister
from backend.core.db import SessionDep
from backend.core.errors import Conflict, Invalid, NotFound, error_responses
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
    return service.resolve_base_model(session, user, request.name_or_path, field="name_or_path")


@router.delete(
    "/{model_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteBaseModel",
    responses=error_responses(NotFound, Conflict),
)
def delete_base_model(session: SessionDep, _admin: AdminUser, model: BaseModelDep) -> None:
    """Forget a registered model (its files stay). Refused for the models the studio ships and for a model that
    runs were trained on."""
    service.delete_base_model(session, model)

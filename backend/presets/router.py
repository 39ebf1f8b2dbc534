from fastapi import APIRouter, status

from backend.auth.dependencies import CreatorUser, CurrentUser
from backend.core.db import SessionDep
from backend.core.errors import Conflict, Invalid, NotFound, error_responses
from backend.core.schemas import Page
from backend.models import Preset
from backend.presets import service
from backend.presets.dependencies import PresetDep
from backend.presets.schemas import PresetCreate, PresetOut

router = APIRouter(prefix="/api", tags=["presets"])


@router.get("/presets", response_model=Page[PresetOut], operation_id="listPresets")
def list_presets(session: SessionDep, user: CurrentUser) -> Page[PresetOut]:
    presets = service.list_presets(session, user)
    return Page(items=[PresetOut.model_validate(p) for p in presets], total=len(presets))


@router.post(
    "/presets",
    status_code=status.HTTP_201_CREATED,
    response_model=PresetOut,
    operation_id="createPreset",
    responses=error_responses(Invalid),
)
def create_preset(session: SessionDep, user: CreatorUser, request: PresetCreate) -> Preset:
    return service.create_preset(session, user, request)


@router.get(
    "/presets/{preset_id}",
    response_model=PresetOut,
    operation_id="getPreset",
    responses=error_responses(NotFound),
)
def get_preset(preset: PresetDep) -> Preset:
    return preset


@router.put(
    "/presets/{preset_id}",
    response_model=PresetOut,
    operation_id="updatePreset",
    responses=error_responses(NotFound, Conflict, Invalid),
)
def update_preset(session: SessionDep, preset: PresetDep, request: PresetCreate) -> Preset:
    return service.update_preset(session, preset, request)


@router.delete(
    "/presets/{preset_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deletePreset",
    responses=error_responses(NotFound, Conflict),
)
def delete_preset(session: SessionDep, preset: PresetDep) -> None:
    service.delete_preset(session, preset)

"""Load-or-404 dependencies of the preset routes."""

from typing import Annotated

from fastapi import Depends

from backend.auth.dependencies import CurrentUser
from backend.core.db import SessionDep
from backend.core.params import Id
from backend.models import Preset
from backend.presets.service import get_preset


def load_preset(session: SessionDep, user: CurrentUser, preset_id: Id) -> Preset:
    return get_preset(session, preset_id, user)


PresetDep = Annotated[Preset, Depends(load_preset)]

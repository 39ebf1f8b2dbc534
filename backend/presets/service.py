from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from backend.auth.ownership import can_see, owned_by
from backend.core.errors import Conflict, NotFound
from backend.models import Preset, Run, User
from backend.presets.builtin import BUILTIN_PRESETS
from backend.presets.schemas import PresetCreate
from domain.config import validate_config


def sync_builtins(session: Session) -> None:
    existing = {p.name: p for p in session.scalars(select(Preset).where(Preset.builtin.is_(True)))}
    for builtin in BUILTIN_PRESETS:
        preset = existing.get(builtin.name)
        if preset is None:
            session.add(
                Preset(
                    owner_id=None,
                    name=builtin.name,
                    description=builtin.description,
                    hyperparameters=builtin.hyperparameters,
                    builtin=True,
                )
            )
        elif preset.hyperparameters != builtin.hyperparameters or preset.description != builtin.description:
            preset.hyperparameters = builtin.hyperparameters
            preset.description = builtin.description
            preset.version += 1


def list_presets(session: Session, user: User) -> list[Preset]:
    query = select(Preset).where(or_(owned_by(user, Preset.owner_id), Preset.builtin.is_(True)))
    return list(session.scalars(query.order_by(Preset.builtin.desc(), Preset.id)))


def get_preset(session: Session, preset_id: int, user: User) -> Preset:
    preset = session.get(Preset, preset_id)
    if preset is None or not (preset.builtin or can_see(user, preset.owner_id)):
        raise NotFound(f"preset {preset_id} not found")
    return preset


def create_preset(session: Session, user: User, request: PresetCreate) -> Preset:
    validate_config(request.hyperparameters)
    preset = Preset(
        owner_id=user.id,
        name=request.name,
        description=request.description,
        hyperparameters=request.hyperparameters,
    )
    session.add(preset)
    session.flush()
    return preset


def update_preset(session: Session, preset: Preset, request: PresetCreate) -> Preset:
    """A new version of the preset; runs keep the snapshot of the version they used."""
    if preset.builtin:
        raise Conflict(f"preset '{preset.name}' is built in; save a copy under another name to change it")
    validate_config(request.hyperparameters)
    preset.name = request.name
    preset.description = request.description
    preset.hyperparameters = request.hyperparameters
    preset.version += 1
    return preset


def delete_preset(session: Session, preset: Preset) -> None:
    if preset.builtin:
        raise Conflict(f"preset '{preset.name}' is built in and cannot be deleted")
    # Runs keep their snapshot of the preset; only the link goes.
    session.execute(update(Run).where(Run.preset_id == preset.id).values(preset_id=None))
    session.delete(preset)

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.config import get_settings
from backend.core.errors import Forbidden, Invalid
from backend.models import BaseModelEntry, User
from domain.catalog import CATALOG, model_location

HUB_ID_PARTS = 2  # "org/name"


def sync_catalog(session: Session) -> None:
    known = set(session.scalars(select(BaseModelEntry.name)))
    for model in CATALOG:
        if model.name not in known:
            session.add(
                BaseModelEntry(
                    name=model.name,
                    source=model.source,
                    location=model.location,
                    description=model.description,
                )
            )


def list_base_models(session: Session) -> list[BaseModelEntry]:
    return list(session.scalars(select(BaseModelEntry).order_by(BaseModelEntry.id)))


def find_base_model(session: Session, name: str) -> BaseModelEntry:
    """A model already registered: base models are studio-wide (the catalog, hub ids, an admin's directories)."""
    entry = session.scalar(select(BaseModelEntry).where(BaseModelEntry.name == name))
    if entry is None:
        raise Invalid(f"unknown base model '{name}': register it first (POST /api/models)", field="base_model")
    return entry


def resolve_base_model(session: Session, user: User, name_or_path: str) -> BaseModelEntry:
    """A registered name, a local HF model directory (registered on first use, by an admin) or a hub id."""
    entry = session.scalar(select(BaseModelEntry).where(BaseModelEntry.name == name_or_path))
    if entry is not None:
        return entry
    path = Path(name_or_path).expanduser()
    if path.is_absolute():
        _check_may_register_directory(user, path)
        if not (path / "config.json").is_file():
            raise Invalid(
                f"{name_or_path} is not a Hugging Face model directory (no config.json there)",
                field="base_model",
            )
        entry = BaseModelEntry(
            name=str(path), source="local", location=str(path), description="Local directory", owner_id=user.id
        )
    elif len(name_or_path.split("/")) == HUB_ID_PARTS and all(name_or_path.split("/")):
        entry = BaseModelEntry(
            name=name_or_path,
            source="hub",
            location=name_or_path,
            description="Hugging Face Hub model",
            owner_id=user.id,
        )
    else:
        names = ", ".join(model.name for model in CATALOG)
        raise Invalid(
            f"unknown base model '{name_or_path}': use one of {names}, an absolute path to a local model "
            "directory, or a hub id such as org/name",
            field="base_model",
        )
    session.add(entry)
    session.flush()
    return entry


def _check_may_register_directory(user: User, path: Path) -> None:
    # A directory path reads the API machine's disk: admins only, and only under the configured roots.
    if not user.is_admin:
        raise Forbidden("Only an admin can register a local model directory; use a registered model or a hub id.")
    roots = get_settings().model_root_list
    if not any(path.resolve().is_relative_to(root) for root in roots):
        allowed = ", ".join(str(root) for root in roots)
        raise Invalid(
            f"{path} is outside the model roots ({allowed}): move the model there or add its folder to "
            "STUDIO_MODEL_ROOTS",
            field="name_or_path",
        )


def local_directory(entry: BaseModelEntry, needed_for: str) -> Path:
    """The base model's directory on this machine (the bundled one's may not be converted yet). A hub id has none
    here, so what it is `needed_for` ("estimating", "token preview") is refused."""
    if entry.source == "hub":
        raise Invalid(
            f"{needed_for} needs a local copy of the model: {entry.name} is a hub id; register its local directory",
            field="base_model",
        )
    return Path(model_location(entry.name, entry.source, entry.location, get_settings().models_dir))

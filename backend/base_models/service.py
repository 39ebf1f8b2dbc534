from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.config import get_settings
from backend.core.errors import Invalid
from backend.models import BaseModelEntry
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


def resolve_base_model(session: Session, name_or_path: str) -> BaseModelEntry:
    """A registered name, a local HF model directory (registered on first use) or a hub id."""
    entry = session.scalar(select(BaseModelEntry).where(BaseModelEntry.name == name_or_path))
    if entry is not None:
        return entry
    path = Path(name_or_path).expanduser()
    if path.is_absolute():
        if not (path / "config.json").is_file():
            raise Invalid(
                f"{name_or_path} is not a Hugging Face model directory (no config.json there)",
                field="base_model",
            )
        entry = BaseModelEntry(name=str(path), source="local", location=str(path), description="Local directory")
    elif len(name_or_path.split("/")) == HUB_ID_PARTS and all(name_or_path.split("/")):
        entry = BaseModelEntry(
            name=name_or_path, source="hub", location=name_or_path, description="Hugging Face Hub model"
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


def local_directory(entry: BaseModelEntry, needed_for: str) -> Path:
    """The base model's directory on this machine (the bundled one's may not be converted yet). A hub id has none
    here, so what it is `needed_for` ("estimating", "token preview") is refused."""
    if entry.source == "hub":
        raise Invalid(
            f"{needed_for} needs a local copy of the model: {entry.name} is a hub id; register its local directory",
            field="base_model",
        )
    return Path(model_location(entry.name, entry.source, entry.location, get_settings().models_dir))

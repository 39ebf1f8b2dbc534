import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.config import get_settings
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.models import BaseModelEntry, Run, User
from domain.catalog import BUNDLED_MODEL_CONFIG, BUNDLED_MODEL_NAME, CATALOG, model_location
from domain.estimate import Architecture, NotAModelConfig, architecture

HUB_ID_PARTS = 2  # "org/name"
# Runs named in a refusal to delete a model; the count says how many more.
RUNS_NAMED = 10


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


def get_base_model(session: Session, model_id: int) -> BaseModelEntry:
    entry = session.get(BaseModelEntry, model_id)
    if entry is None:
        raise NotFound(f"base model {model_id} not found")
    return entry


def resolve_base_model(session: Session, user: User, name_or_path: str, *, field: str = "base_model") -> BaseModelEntry:
    """A registered name, a local HF model directory (registered on first use, by an admin) or a hub id. `field`: the request's
    field that named it, for errors."""
    entry = session.scalar(select(BaseModelEntry).where(BaseModelEntry.name == name_or_path))
    if entry is not None:
        return entry
    path = Path(name_or_path).expanduser()
    if path.is_absolute():
        _check_may_register_directory(user, path, field)
        _read_config(path / "config.json", field=field)  # refused now rather than when a run starts
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
            field=field,
        )
    session.add(entry)
    session.flush()
    return entry


def _check_may_register_directory(user: User, path: Path, field: str) -> None:
    # A directory path reads the API machine's disk: admins only, and only under the configured roots.
    if not user.is_admin:
        raise Forbidden("Only an admin can register a local model directory; use a registered model or a hub id.")
    roots = get_settings().model_root_list
    if not any(path.resolve().is_relative_to(root) for root in roots):
        allowed = ", ".join(str(root) for root in roots)
        raise Invalid(
            f"{path} is outside the model roots ({allowed}): move the model there or add its folder to "
            "STUDIO_MODEL_ROOTS",
            field=field,
        )


def delete_base_model(session: Session, entry: BaseModelEntry) -> None:
    """Forget a registered model (its directory stays where it is). Not one the studio ships, nor one a run used:
    the run's record names it, and cloning the run needs it."""
    if entry.name in {model.name for model in CATALOG}:
        raise Conflict(f"{entry.name} ships with the studio and cannot be deleted")
    runs = list(session.scalars(select(Run.id).where(Run.base_model == entry.name).order_by(Run.id)))
    if runs:
        named = ", ".join(str(run) for run in runs[:RUNS_NAMED])
        more = f" and {len(runs) - RUNS_NAMED} more" if len(runs) > RUNS_NAMED else ""
        raise Conflict(f"{entry.name} is the base model of runs {named}{more}: it cannot be deleted while they exist")
    session.delete(entry)


def local_directory(entry: BaseModelEntry, needed_for: str) -> Path:
    """The base model's directory on this machine (the bundled one's may not be converted yet). A hub id has none
    here, so what it is `needed_for` ("estimating", "token preview") is refused."""
    if entry.source == "hub":
        raise Invalid(
            f"{needed_for} needs a local copy of the model: {entry.name} is a hub id; register its local directory",
            field="base_model",
        )
    return Path(model_location(entry.name, entry.source, entry.location, get_settings().models_dir))


def model_config(entry: BaseModelEntry, needed_for: str) -> dict[str, Any]:
    """The base model's config.json, checked to describe a model."""
    path = local_directory(entry, needed_for) / "config.json"
    if entry.name == BUNDLED_MODEL_NAME and not path.is_file():
        return BUNDLED_MODEL_CONFIG  # the worker has not converted it yet
    return _read_config(path, field="base_model")


def model_architecture(entry: BaseModelEntry) -> Architecture | None:
    """What a run's config is checked against; None for a hub id, which has nothing to read here."""
    if entry.source == "hub":
        return None
    return architecture(model_config(entry, "checking the run against the model"))


def _read_config(path: Path, *, field: str) -> dict[str, Any]:
    directory = path.parent
    try:
        if not path.is_file():
            raise Invalid(f"{directory} is not a Hugging Face model directory (no config.json there)", field=field)
        config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        architecture(config)
    except OSError as exc:  # a name too long for the file system, a directory that may not be read
        raise Invalid(f"{directory} cannot be read: {exc.strerror or exc}", field=field) from exc
    except ValueError as exc:  # not JSON, not UTF-8, or not a model's
        reason = exc if isinstance(exc, NotAModelConfig) else "it is not valid JSON"
        raise Invalid(f"the config.json in {directory} is not a model config: {reason}", field=field) from exc
    return config

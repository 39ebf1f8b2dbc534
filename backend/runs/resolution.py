"""What a run created from a request trains with: for creating it and for estimating it, resolved the same way."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from backend.base_models.service import model_config, resolve_base_model
from backend.datasets.service import get_dataset, refuse_if_archived
from backend.models import BaseModelEntry, Dataset, Preset, User
from backend.presets.service import get_preset
from backend.runs.schemas import RunSpec
from domain.config import TrainingConfig, resolve_run_config
from domain.estimate import architecture, check_config_for_model


@dataclass(frozen=True)
class ResolvedRun:
    dataset: Dataset
    base_model: BaseModelEntry
    preset: Preset | None
    config: TrainingConfig
    model_config: dict[str, Any] | None  # the base model's config.json; None for a hub id (none to read here)


def resolve_run(session: Session, user: User, spec: RunSpec) -> ResolvedRun:
    """The dataset, base model, preset and config a run created from `spec` trains with, the config checked against
    the model (its module names and layer count) when the model is on this machine."""
    dataset = get_dataset(session, spec.dataset_id, user)
    refuse_if_archived(dataset)
    base_model = resolve_base_model(session, user, spec.base_model)
    preset = get_preset(session, spec.preset_id, user) if spec.preset_id is not None else None
    config = resolve_run_config(
        preset.hyperparameters if preset else None,
        spec.hyperparameters,
        dataset_template=dataset.template,
        dataset_custom_template=dataset.custom_template,
    )
    model = None if base_model.source == "hub" else model_config(base_model, "checking the run against the model")
    if model is not None:
        check_config_for_model(architecture(model), config)
    return ResolvedRun(dataset, base_model, preset, config, model)

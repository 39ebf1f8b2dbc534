"""The training config's fields as typed form specs, read once from the pydantic model."""

import types
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic.fields import FieldInfo

from backend.hyperparameters.schemas import HyperparameterSpec, HyperparameterType
from domain.config import TrainingConfig

# The form's sections, in order, each with its fields. Every field of TrainingConfig is in exactly one
# (a test checks it), so a new field needs a deliberate place here.
GROUPS: dict[str, tuple[str, ...]] = {
    "LoRA / quantisation": (
        "method",
        "bnb_4bit_quant_type",
        "bnb_4bit_compute_dtype",
        "bnb_4bit_use_double_quant",
        "llm_int8_threshold",
        "llm_int8_skip_modules",
        "lora_r",
        "lora_alpha",
        "lora_dropout",
        "lora_target_modules",
        "layers_to_transform",
    ),
    "Optimisation": (
        "optim",
        "learning_rate",
        "weight_decay",
        "adam_beta1",
        "adam_beta2",
        "adam_epsilon",
        "lr_scheduler_type",
        "lr_scheduler_num_cycles",
        "warmup_ratio",
        "warmup_steps",
        "label_smoothing_factor",
        "neftune_noise_alpha",
        "max_grad_norm",
    ),
    "Evaluation & checkpoints": (
        "eval_strategy",
        "eval_steps",
        "pinned_examples",
        "logging_steps",
        "save_steps",
        "save_total_limit",
        "load_best_model_at_end",
        "early_stopping_patience",
        "early_stopping_threshold",
        "max_loss_spike_factor",
        "merge_adapter",
    ),
    "Schedule & batching": (
        "num_train_epochs",
        "max_steps",
        "per_device_train_batch_size",
        "per_device_eval_batch_size",
        "auto_find_batch_size",
        "gradient_accumulation_steps",
        "gradient_checkpointing",
        "precision",
        "seed",
    ),
    "Data & generation": (
        "max_seq_length",
        "packing",
        "group_by_length",
        "padding_free",
        "completion_only_loss",
        "prompt_template",
        "custom_template",
        "max_new_tokens",
    ),
}

_SCALAR_TYPES: dict[type, Literal["int", "float", "bool", "string"]] = {
    bool: "bool",
    int: "int",
    float: "float",
    str: "string",
}


def _without_none(annotation: Any) -> tuple[Any, bool]:
    """`X | None` → (X, True); anything else → (itself, False)."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], len(args) < len(get_args(annotation))
    return annotation, False


def _number(bound: object) -> int | float:
    if not isinstance(bound, int | float):
        raise TypeError(f"a bound that is not a number: {bound!r}")
    return bound


def _spec(name: str, field: FieldInfo, group: str) -> HyperparameterSpec:
    annotation, nullable = _without_none(field.annotation)
    choices: list[str] = []
    item_type: Literal["int", "string"] | None = None
    kind: HyperparameterType
    if get_origin(annotation) is Literal:
        kind, choices = "choice", [str(choice) for choice in get_args(annotation)]
    elif get_origin(annotation) is list:
        (item,) = get_args(annotation)
        kind, item_type = "list", "int" if item is int else "string"
    elif annotation in _SCALAR_TYPES:
        kind = _SCALAR_TYPES[annotation]
    else:
        raise TypeError(f"TrainingConfig.{name}: no form type for {annotation!r}")

    minimum: int | float | None = None
    maximum: int | float | None = None
    minimum_exclusive = maximum_exclusive = False
    for bound in field.metadata:
        if isinstance(bound, annotated_types.Ge):
            minimum = _number(bound.ge)
        elif isinstance(bound, annotated_types.Gt):
            minimum, minimum_exclusive = _number(bound.gt), True
        elif isinstance(bound, annotated_types.Le):
            maximum = _number(bound.le)
        elif isinstance(bound, annotated_types.Lt):
            maximum, maximum_exclusive = _number(bound.lt), True

    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    label = extra.get("default_label")  # a rule rather than a value, for the form (domain.config's eval_steps)
    return HyperparameterSpec(
        name=name,
        type=kind,
        item_type=item_type,
        default=field.default,
        nullable=nullable,
        minimum=minimum,
        minimum_exclusive=minimum_exclusive,
        maximum=maximum,
        maximum_exclusive=maximum_exclusive,
        choices=choices,
        group=group,
        help=field.description or "",
        default_label=label if isinstance(label, str) else None,
    )


@cache
def list_hyperparameters() -> list[HyperparameterSpec]:
    """Every hyperparameter, section by section in GROUPS' order."""
    fields = TrainingConfig.model_fields
    return [_spec(name, fields[name], group) for group, names in GROUPS.items() for name in names]

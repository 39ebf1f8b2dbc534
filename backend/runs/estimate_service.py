"""Before a run is queued: its peak memory against this machine's, and its duration at a measured throughput.

The arithmetic is worker.training.estimate (pure Python: the API never imports torch). The hyperparameters are
resolved as creating the run resolves them, and the sequence length comes from the dataset's real token lengths
with the base model's tokenizer, as a light worker counts them for the dataset's token statistics.
"""

import json
import os
import statistics
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.base_models.service import resolve_base_model
from backend.core.config import get_settings
from backend.core.errors import Conflict, Invalid, StudioError
from backend.datasets.service import get_dataset
from backend.datasets.token_stats_service import request_stats, stats_key
from backend.models import LOCAL_USER_ID, BaseModelEntry, Dataset, Metric, Run, RunStatus
from backend.presets.service import get_preset, resolve_config
from worker.training.base_models import BUNDLED_MODEL_NAME
from worker.training.config import TrainingConfig
from worker.training.estimate import (
    MemoryEstimate,
    estimate_memory,
    estimate_seconds,
    format_bytes,
    training_tokens,
)

# SmolLM2-135M-Instruct's config.json, so the bundled model is estimated before the worker has converted it.
BUNDLED_MODEL_CONFIG: dict[str, Any] = {
    "model_type": "llama",
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "head_dim": 64,
    "vocab_size": 49152,
    "tie_word_embeddings": True,
}
# Above this share of the machine's memory, say the run may not fit: the estimate is within ~25% of measured peaks.
TIGHT_SHARE = 0.8
PENDING = "the token lengths are still being counted"

NOTE = (
    "No worker reports its device yet, so the estimate assumes CPU training (LoRA on float32 weights). Compared "
    "with this machine's memory: in the default embedded setup the API and the worker share it; a worker on "
    "another machine may have more or less. Measured peaks on CPU have been within 25% of the estimate."
)


class EstimateRequest(BaseModel):
    dataset_id: int
    base_model: str = Field(
        BUNDLED_MODEL_NAME,
        description="A name from GET /api/models, an absolute path to a local model directory, or a hub id.",
    )
    preset_id: int | None = None
    hyperparameters: dict[str, Any] = Field(
        default_factory=dict, description="Overrides on top of the preset; see GET /api/hyperparameters."
    )


class MemoryBreakdownOut(BaseModel):
    weights: int = Field(description="Base model weights at the run's precision: float32 on CPU, 4-bit for QLoRA.")
    lora: int = Field(description="The LoRA adapters (float32): r × (in + out) per adapted linear layer.")
    gradients: int = Field(description="One gradient per trainable parameter.")
    optimizer: int = Field(description="Optimiser state: AdamW 8 bytes per trainable parameter, Adafactor/SGD ~4.")
    activations: int = Field(description="What the forward pass keeps for the backward pass, for batch × seq_len.")
    logits: int = Field(description="Scoring every vocabulary entry at every position (the loss and its gradient).")
    overhead: int = Field(description="The Python/torch process and memory the allocator holds but does not use.")


class EstimateOut(BaseModel):
    device_assumed: Literal["cpu"] = Field(description="No worker reports its device yet: CPU is assumed.")
    method: str = Field(description="How the run trains there: lora, qlora, lora_8bit or full.")
    seq_len_used: int = Field(description="Padded tokens per example in the longest batch.")
    seq_len_source: str = Field(description="Where seq_len_used comes from.")
    token_lengths_pending: bool = Field(
        description="A worker is still counting the dataset's tokens: ask again shortly for an estimate from them."
    )
    breakdown: MemoryBreakdownOut
    total_bytes: int = Field(description="Estimated peak memory of the training process.")
    available_bytes: int = Field(description="This machine's total memory (or its container's limit).")
    fits: bool
    warning: str | None = Field(description="Why the run will not, or may not, fit, and what to change.")
    note: str
    total_parameters: int
    trainable_parameters: int
    train_tokens: int | None = Field(description="Tokens the run trains on (padding excluded), over all epochs.")
    tokens_per_second: float | None = Field(
        description="Median throughput of the latest finished run on this base model; null: none yet."
    )
    estimated_seconds: float | None = Field(description="train_tokens / tokens_per_second; null: no measurement.")


def resolve_run_config(session: Session, request: EstimateRequest) -> tuple[Dataset, BaseModelEntry, TrainingConfig]:
    """The dataset, base model and configuration a run created from this request would train with.

    Mirrors backend.runs.service.create_run's resolution: the preset under the overrides, validated, and the
    dataset's template unless the run picks another.
    """
    dataset = get_dataset(session, request.dataset_id)
    base_model = resolve_base_model(session, request.base_model)
    preset = get_preset(session, request.preset_id) if request.preset_id is not None else None
    config = resolve_config({**(preset.hyperparameters if preset else {}), **request.hyperparameters})
    config = config.model_copy(
        update={
            "prompt_template": config.prompt_template or dataset.template,
            "custom_template": config.custom_template or dataset.custom_template,
        }
    )
    return dataset, base_model, config


def machine_memory_bytes() -> int:
    """MemTotal, or the cgroup limit when a container has a lower one."""
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                total = int(line.split()[1]) * 1024
    limit_file = Path("/sys/fs/cgroup/memory.max")
    if limit_file.is_file():
        limit = limit_file.read_text().strip()
        if limit.isdigit() and (total == 0 or int(limit) < total):
            total = int(limit)
    return total


def model_config(base_model: BaseModelEntry) -> dict[str, Any]:
    """The base model's config.json."""
    if base_model.source == "hub":
        raise Invalid(
            f"estimating needs a local copy of the model: {base_model.name} is a hub id; register its local directory",
            field="base_model",
        )
    directory = get_settings().models_dir / base_model.name if base_model.source == "bundled" else None
    path = (directory or Path(base_model.location)) / "config.json"
    if not path.is_file():
        if base_model.name == BUNDLED_MODEL_NAME:
            return BUNDLED_MODEL_CONFIG
        raise Conflict(f"{path} is missing", field="base_model")
    try:
        config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return config
    except (OSError, ValueError) as exc:
        raise Invalid(f"the config.json of {base_model.name} cannot be read: {exc}", field="base_model") from exc


class TokenLengths(NamedTuple):
    lengths: list[int] | None
    missing_because: str  # why there are none; "" when there are


def token_lengths_of(session: Session, dataset: Dataset, base_model: str, config: TrainingConfig) -> TokenLengths:
    """Every example's token count as the trainer tokenises it, once a light worker has counted them.

    Until then (the first ask queues the count), and when the tokenizer cannot be read here, None with the reason:
    the estimate falls back to max_seq_length. A template that cannot render a row raises that error, as the token statistics do.
    """
    try:
        key = stats_key(
            session, dataset, base_model=base_model, template=config.template, custom_template=config.custom_template
        )
    except StudioError:
        return TokenLengths(None, "the base model's tokenizer is not available here")
    stats = request_stats(session, key)
    if stats.lengths is None:
        return TokenLengths(None, PENDING)
    return TokenLengths(stats.lengths, "")


def measured_tokens_per_second(session: Session, base_model: str) -> float | None:
    run_id = session.scalar(
        select(Run.id)
        .where(Run.owner_id == LOCAL_USER_ID, Run.base_model == base_model, Run.status == RunStatus.SUCCEEDED)
        .order_by(Run.finished_at.desc(), Run.id.desc())
        .limit(1)
    )
    if run_id is None:
        return None
    values = list(
        session.scalars(select(Metric.value).where(Metric.run_id == run_id, Metric.name == "tokens_per_second"))
    )
    return statistics.median(values) if values else None


def _suggestions(
    model: dict[str, Any], config: TrainingConfig, seq_len: int, validation: int, available: int
) -> list[str]:
    """Changes that bring the estimate under `available`: the largest smaller batch, checkpointing, or both."""

    def fits(**update: Any) -> bool:
        changed = config.model_copy(update=update)
        estimate = estimate_memory(model, changed, device="cpu", seq_len=seq_len, validation_examples=validation)
        return estimate.total_bytes <= available

    batch = config.per_device_train_batch_size
    smaller = [b for b in (batch // 2, batch // 4, batch // 8, batch // 16, 1) if 1 <= b < batch]
    ideas = []
    fitting_batch = next((b for b in smaller if fits(per_device_train_batch_size=b)), None)
    if fitting_batch is not None:
        ideas.append(f"batch {fitting_batch}")
    if not config.gradient_checkpointing:
        if fits(gradient_checkpointing=True):
            ideas.append("gradient checkpointing")
        elif fitting_batch is None:
            both = next((b for b in smaller if fits(per_device_train_batch_size=b, gradient_checkpointing=True)), None)
            if both is not None:
                ideas.append(f"batch {both} with gradient checkpointing")
    return ideas or ["a shorter max_seq_length, a smaller model, or a GPU worker with QLoRA"]


def _warning(estimate: MemoryEstimate, available: int, suggestions: list[str]) -> str | None:
    needs, has = format_bytes(estimate.total_bytes), format_bytes(available)
    if estimate.total_bytes > available:
        return f"will not fit: needs {needs}, this machine has {has}; try {' or '.join(suggestions)}"
    if estimate.total_bytes > TIGHT_SHARE * available:
        return f"may not fit: needs about {needs} of this machine's {has}, and the estimate can be 25% off"
    return None


def estimate_run(session: Session, request: EstimateRequest) -> EstimateOut:
    dataset, base_model, config = resolve_run_config(session, request)
    model = model_config(base_model)
    lengths, missing_because = token_lengths_of(session, dataset, base_model.name, config)
    max_len = config.max_seq_length
    if getattr(config, "packing", False):
        seq_len, source = max_len, f"max_seq_length ({max_len}): packed sequences fill it"
    elif lengths:
        longest = max(lengths)
        # The peak comes from the batch holding the longest example: every batch is padded to its longest row.
        seq_len = min(longest, max_len)
        source = f"the longest example ({longest} tokens)" + (
            f", cut to max_seq_length {max_len}" if longest > max_len else ""
        )
    else:
        seq_len, source = max_len, f"max_seq_length ({max_len}): {missing_because}"

    estimate = estimate_memory(model, config, device="cpu", seq_len=seq_len, validation_examples=dataset.num_validation)
    available = machine_memory_bytes()
    suggestions = (
        _suggestions(model, config, seq_len, dataset.num_validation, available)
        if estimate.total_bytes > available
        else []
    )
    tokens = training_tokens(lengths, dataset.num_train, config) if lengths else None
    throughput = measured_tokens_per_second(session, base_model.name)
    return EstimateOut(
        device_assumed="cpu",
        method=estimate.method,
        seq_len_used=seq_len,
        seq_len_source=source,
        token_lengths_pending=missing_because == PENDING,
        breakdown=MemoryBreakdownOut(**asdict(estimate.breakdown)),
        total_bytes=estimate.total_bytes,
        available_bytes=available,
        fits=estimate.total_bytes <= available,
        warning=_warning(estimate, available, suggestions),
        note=NOTE,
        total_parameters=estimate.total_parameters,
        trainable_parameters=estimate.trainable_parameters,
        train_tokens=tokens,
        tokens_per_second=throughput,
        estimated_seconds=estimate_seconds(tokens, throughput) if tokens is not None and throughput else None,
    )

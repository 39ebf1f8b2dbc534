"""The hyperparameters of one fine-tuning run.

Pure pydantic, no torch: the API validates requests with it and snapshots the resolved values into the run; the
worker turns it into SFTConfig / LoraConfig / BitsAndBytesConfig (worker.training.sft_config.build_trainer_configs).
Each field's description is the help text the API schema and the UI both show: what it does, then its trade-off.

Rules between fields are checked by field validators placed on the later field, so an error names a field
(the API answers 422 with `hyperparameters.<field>`). What depends on the hardware (bf16 on a CPU, for one) is not an
error: the worker resolves it and says so in the run's events.
"""

import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from domain.templates import TemplateContext, TemplateName

Method = Literal["auto", "qlora", "lora_8bit", "lora", "full"]
Optimizer = Literal[
    "adamw_torch",
    "adamw_torch_fused",
    "adafactor",
    "adamw_bnb_8bit",
    "paged_adamw_32bit",
    "paged_adamw_8bit",
    "lion_32bit",
    "lion_8bit",
    "sgd",
]
Scheduler = Literal["constant", "constant_with_warmup", "cosine", "cosine_with_restarts", "linear"]
Precision = Literal["auto", "bf16", "fp16", "fp32"]
EvalStrategy = Literal["steps", "epoch", "steps_and_epoch", "no"]

# Full fine-tuning keeps fp32 weights, gradients and optimiser states for every parameter (~16 bytes each with AdamW):
# beyond this size LoRA/QLoRA is the sensible method. The worker checks it once the model is loaded.
FULL_FINE_TUNING_MAX_PARAMETERS = 1_500_000_000


# Validation loss is measured about this many times per run when eval_steps is left empty (paced_eval_steps): a curve
# and early stopping at any run length, without evaluating a long run every few steps.
EVALUATIONS_PER_RUN = 20


# numpy's seed (transformers.set_seed seeds Python, numpy and torch) must lie in 0..2^32-1.
MAX_SEED = 2**32 - 1


class TrainingConfig(BaseModel):
    # No NaN or Infinity in any float: neither trains, and neither is JSON that PostgreSQL stores.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    # --- Method and quantisation of the frozen base weights ---
    method: Method = Field(
        "auto",
        description=(
            "auto: on a GPU, LoRA on bf16 weights when the memory estimate fits with 20% to spare, else QLoRA; "
            "plain LoRA on CPU (where 4-bit was measured to hurt small models). The run's log says which and why. "
            "qlora: LoRA over 4-bit weights (least memory). lora_8bit: LoRA over LLM.int8 weights. "
            "lora: LoRA over full-precision weights. full: train every weight, for models up to 1.5B parameters "
            "(~16 bytes of memory per parameter with AdamW)."
        ),
    )
    bnb_4bit_quant_type: Literal["nf4", "fp4"] = Field(
        "nf4", description="QLoRA: 4-bit data type. NF4 suits normally distributed weights; FP4 rarely wins."
    )
    bnb_4bit_compute_dtype: Literal["bfloat16", "float16", "float32"] = Field(
        "bfloat16",
        description="QLoRA: dtype of matmuls over 4-bit weights. bf16 is fast on recent GPUs; fp32 is safest, slowest.",
    )
    bnb_4bit_use_double_quant: bool = Field(
        True, description="QLoRA: quantise the quantisation constants too: saves ~0.4 bits/parameter, slightly slower."
    )
    llm_int8_threshold: float = Field(
        6.0,
        ge=0.0,
        description=(
            "lora_8bit: activations above this magnitude are multiplied in fp16 (LLM.int8 outliers). "
            "Lower: more accurate, slower; 6 is the paper's value."
        ),
    )
    llm_int8_skip_modules: list[str] | None = Field(
        None,
        description="lora_8bit: modules kept in full precision, e.g. ['lm_head']. Empty: the model's defaults.",
    )

    # --- LoRA ---
    lora_r: int = Field(16, ge=1, le=512, description="LoRA rank. Higher: more capacity, more memory and time.")
    lora_alpha: int = Field(
        32, ge=1, le=1024, description="LoRA scaling numerator (update scaled by alpha/r). Often 2×r; higher: bolder."
    )
    lora_dropout: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description=(
            "Dropout on the LoRA input. 0 by default: on CPU it took a quarter of each step and did not lower the "
            "validation loss over 2 epochs; 0.05–0.1 can regularise a small dataset trained for many epochs."
        ),
    )
    lora_target_modules: str = Field(
        "all-linear",
        description=(
            "Modules that get adapters: 'all-linear' (best quality, most parameters) or a comma list such as "
            "'q_proj,v_proj' (fewer parameters, less capacity)."
        ),
    )
    layers_to_transform: list[int] | None = Field(
        None,
        description=(
            "LoRA only on these decoder layers (0-based), e.g. [20, 21, 22, 23]. Empty: every layer. "
            "Fewer layers: fewer parameters, less capacity."
        ),
    )

    # --- Optimiser ---
    optim: Optimizer = Field(
        "adamw_torch",
        description=(
            "Optimiser. AdamW keeps ~8 bytes of state per trainable parameter; Adafactor and SGD ~4; 8-bit AdamW and "
            "Lion ~2 (Lion: use a 3–10× lower learning rate). paged_*: spill optimiser state to CPU memory under "
            "GPU memory pressure (on CPU they run unpaged)."
        ),
    )
    learning_rate: float = Field(
        2e-4, gt=0.0, le=1.0, description="Peak learning rate. 1e-4–3e-4 is typical for LoRA; lower if loss spikes."
    )
    weight_decay: float = Field(
        0.01, ge=0.0, le=1.0, description="Weight decay (decoupled in AdamW). 0.01 is a good start; more regularises."
    )
    adam_beta1: float = Field(
        0.9, ge=0.0, lt=1.0, description="AdamW/Lion momentum decay. Rarely changed; lower reacts faster, noisier."
    )
    adam_beta2: float = Field(
        0.999,
        ge=0.0,
        lt=1.0,
        description="AdamW/Lion second-moment decay. 0.95–0.99 is steadier for large models; rarely changed.",
    )
    adam_epsilon: float = Field(
        1e-8, gt=0.0, le=1e-3, description="AdamW denominator guard. Raise (e.g. 1e-6) only if fp16 updates blow up."
    )

    # --- Learning-rate schedule ---
    lr_scheduler_type: Scheduler = Field(
        "cosine",
        description=(
            "Learning-rate schedule after warmup. Cosine tends to beat linear decay; constant suits short runs; "
            "cosine_with_restarts (SGDR) decays and jumps back up lr_scheduler_num_cycles times."
        ),
    )
    lr_scheduler_num_cycles: int = Field(
        2, ge=1, le=100, description="cosine_with_restarts only: number of cosine cycles (hard restarts) in the run."
    )
    warmup_ratio: float = Field(
        0.03,
        ge=0.0,
        le=0.5,
        description="Share of all steps spent raising the learning rate from zero. Warmup steadies AdamW's start.",
    )
    warmup_steps: int | None = Field(
        None,
        ge=0,
        description="Warmup as a number of steps instead of a ratio (warmup_ratio then counts as 0). Empty: use ratio.",
    )

    # --- Length of training ---
    num_train_epochs: float = Field(
        2.0, gt=0.0, le=100.0, description="Passes over the training split. Usually under 5; more risks overfitting."
    )
    max_steps: int = Field(
        -1, ge=-1, description="Stop after this many optimiser steps (overrides epochs). -1: use epochs."
    )

    # --- Batch, memory and speed ---
    per_device_train_batch_size: int = Field(
        8, ge=1, le=1024, description="Examples per step per device. Bigger is faster but needs more memory."
    )
    per_device_eval_batch_size: int = Field(
        8, ge=1, le=1024, description="Examples per validation batch. Bigger is faster, needs more memory."
    )
    auto_find_batch_size: bool = Field(
        False,
        description=(
            "On a GPU out-of-memory error, halve the training batch size and try again (largest that fits). "
            "Changes the effective batch; no effect on CPU."
        ),
    )
    gradient_accumulation_steps: int = Field(
        1, ge=1, le=1024, description="Micro-batches summed before a step: a bigger effective batch, no speed-up."
    )
    gradient_checkpointing: bool = Field(
        False, description="Recompute activations in the backward pass: much less memory, ~30% more compute."
    )
    precision: Precision = Field(
        "auto",
        description=(
            "Mixed precision. auto: bf16 on GPUs that support it, else fp16; fp32 on CPU. bf16/fp16 halve activation "
            "and frozen-weight memory and speed up GPUs; adapters stay fp32. On CPU bf16 is honoured where the CPU "
            "multiplies it natively (AVX-512 BF16 or AMX): a little faster, slightly higher loss; fp16 resolves to fp32."
        ),
    )
    max_seq_length: int = Field(
        256,
        ge=16,
        le=32768,
        description=(
            "Tokens per example; longer ones are truncated (with packing: the length of each packed row). "
            "Shorter allows bigger batches."
        ),
    )
    packing: bool = Field(
        False,
        description=(
            "Pack several examples into each max_seq_length row (best-fit, never split; attention stays within "
            "each example; the prompt mask is kept). Fewer, fuller steps: faster, but a step then holds more "
            "examples and the loss averages over more tokens."
        ),
    )
    group_by_length: bool = Field(
        False,
        description=(
            "Batch examples of similar length together: less padding, faster; batches are less random. "
            "Pointless with packing."
        ),
    )
    padding_free: bool = Field(
        True,
        description=(
            "Concatenate each batch into one row instead of padding it: no compute on padding, same loss (attention "
            "stays within each example). Always on with packing."
        ),
    )

    # --- Loss and regularisation ---
    completion_only_loss: bool = Field(
        True, description="Train only on the response tokens (prompt masked with -100). Off: learn the whole text."
    )
    label_smoothing_factor: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Spread this share of target probability over all tokens: better calibration, robust to noise.",
    )
    neftune_noise_alpha: float | None = Field(
        None,
        ge=0.0,
        description=(
            "NEFTune: uniform noise on input embeddings while training (e.g. 5). Less overfitting to style, "
            "longer answers. Empty: off."
        ),
    )
    max_grad_norm: float = Field(
        1.0, ge=0.0, description="Clip gradients to this norm: steadier steps. 0 disables clipping."
    )

    # --- Evaluation, logging, seed ---
    eval_strategy: EvalStrategy = Field(
        "steps_and_epoch",
        description=(
            "When to measure validation loss: every eval_steps, at each epoch end, both, or never "
            "(then no early stopping). It is also measured before training and after the last step."
        ),
    )
    eval_steps: int | None = Field(
        None,
        ge=1,
        json_schema_extra={"default_label": f"auto (~{EVALUATIONS_PER_RUN} per run)"},
        description=(
            f"Validation loss every N steps. Empty: paced by the run's length, about {EVALUATIONS_PER_RUN} times "
            "per run. More often: finer curve and early stopping sooner, but each evaluation costs time."
        ),
    )
    pinned_examples: int = Field(
        8,
        ge=0,
        le=8,
        description=(
            "Answers during training: the first N validation examples are answered greedily (up to 64 new tokens, "
            "one batch) at every evaluation, the base model's at step 0, to watch the answers change. Costs one "
            "generation per evaluation: ~6 s with the bundled 135M model on 2 CPU cores, less on a GPU. 0: off."
        ),
    )
    logging_steps: int = Field(
        1, ge=1, description="Log training loss every N steps (averaged over them). More often: noisier curve."
    )
    seed: int = Field(
        42, ge=0, le=MAX_SEED, description="Random seed for adapter initialisation and data order (0 to 2^32-1)."
    )

    # --- Checkpoints, best model, early stopping, watchdog ---
    save_steps: int = Field(
        50,
        ge=1,
        description=(
            "Save a checkpoint (adapter, optimiser state) every N steps: an interrupted run resumes from the last "
            "one. More often: less lost work, more disk writes."
        ),
    )
    save_total_limit: int | None = Field(
        2,
        ge=1,
        description=(
            "Keep only the last K checkpoints (the best by validation loss is kept as well). Empty: keep all."
        ),
    )
    load_best_model_at_end: bool = Field(
        False,
        description=(
            "The run's adapter is the one with the lowest validation loss, not the last one. Saves a checkpoint at "
            "each new best evaluation. Always the case after early stopping."
        ),
    )
    early_stopping_patience: int | None = Field(
        None,
        ge=1,
        le=1000,
        description=(
            "Stop when validation loss has not improved for this many evaluations in a row, and keep the best "
            "adapter. Lower: stops sooner, may stop on noise. Empty: off."
        ),
    )
    early_stopping_threshold: float = Field(
        0.0,
        ge=0.0,
        le=10.0,
        description="Early stopping: the least drop in validation loss that counts as an improvement.",
    )
    max_loss_spike_factor: float | None = Field(
        5.0,
        gt=1.0,
        le=1000.0,
        description=(
            "Loss watchdog: stop the run when a logged training loss exceeds this multiple of the average of the "
            "previous 10 (a NaN or infinite loss always stops it). Lower: catches divergence sooner, more false "
            "alarms. Empty: spikes are not checked."
        ),
    )

    # --- Prompt template and generation ---
    prompt_template: TemplateName | None = Field(
        None,
        description=(
            "How an example becomes text (alpaca, chatml, phi3, model, plain, custom). Empty: the dataset's template. "
            "The same renderer builds training text, generation prompts and the preview."
        ),
    )
    custom_template: str | None = Field(
        None, description="The Jinja template when prompt_template is 'custom' (copied from the dataset if empty)."
    )
    max_new_tokens: int = Field(
        128, ge=1, le=4096, description="Longest generated answer when the test split is answered after training."
    )
    merge_adapter: bool = Field(
        False,
        description=(
            "After a LoRA run, also save the base model with the adapter merged in: one model to serve without PEFT, "
            "as large as the base model and slower to finish. No effect with method full."
        ),
    )

    @property
    def template(self) -> TemplateName:
        return self.prompt_template or "alpaca"

    @property
    def template_context(self) -> TemplateContext:
        return TemplateContext(custom_template=self.custom_template)

    @property
    def evaluates(self) -> bool:
        return self.eval_strategy != "no"

    @property
    def keeps_best(self) -> bool:
        """Whether the run's final weights are those of its best evaluation (and that checkpoint is saved)."""
        return self.evaluates and (self.load_best_model_at_end or self.early_stopping_patience is not None)

    @model_validator(mode="before")
    @classmethod
    def _warmup_steps_replace_the_default_ratio(cls, data: Any) -> Any:
        # Asking for warmup steps without a ratio means "no ratio", so the stored (resolved) config validates again.
        if isinstance(data, dict) and data.get("warmup_steps") is not None and "warmup_ratio" not in data:
            return {**data, "warmup_ratio": 0.0}
        return data

    @field_validator("llm_int8_skip_modules", mode="after")
    @classmethod
    def _module_names(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        names = [name.strip() for name in value]
        if not all(names):
            raise ValueError("module names must not be empty")
        return names

    @field_validator("lora_target_modules", mode="after")
    @classmethod
    def _target_modules(cls, value: str) -> str:
        if not [name for name in value.split(",") if name.strip()]:
            raise ValueError("name at least one module, or 'all-linear'")
        return value

    @field_validator("layers_to_transform", mode="after")
    @classmethod
    def _layers(cls, value: list[int] | None, info: ValidationInfo) -> list[int] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("list at least one layer, or leave it empty for every layer")
        if any(layer < 0 for layer in value):
            raise ValueError("layer numbers start at 0")
        if info.data.get("method") == "full":
            raise ValueError("applies to the LoRA methods; full fine-tuning trains every layer")
        return sorted(set(value))

    @field_validator("warmup_steps", mode="after")
    @classmethod
    def _one_warmup(cls, value: int | None, info: ValidationInfo) -> int | None:
        ratio = info.data.get("warmup_ratio")
        if value is not None and ratio:
            raise ValueError(f"set warmup_steps or warmup_ratio, not both (warmup_ratio is {ratio}; set it to 0)")
        return value

    @field_validator("max_steps", mode="after")
    @classmethod
    def _steps_or_epochs(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must be -1 (train for num_train_epochs) or at least 1")
        return value

    @field_validator("load_best_model_at_end", mode="after")
    @classmethod
    def _best_needs_validation(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("eval_strategy") == "no":
            raise ValueError("needs validation loss: set eval_strategy to steps, epoch or steps_and_epoch")
        return value

    @field_validator("early_stopping_patience", mode="after")
    @classmethod
    def _early_stopping_needs_validation(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("eval_strategy") == "no":
            raise ValueError("early stopping watches validation loss: set eval_strategy to steps, epoch or both")
        return value


def paced_eval_steps(total_steps: int) -> int:
    """Every how many optimiser steps a run of `total_steps` evaluates when eval_steps is empty: at most
    EVALUATIONS_PER_RUN times (1000 steps: every 50; 30 steps: every 2, 15 times; 5 steps: every step)."""
    return max(1, math.ceil(total_steps / EVALUATIONS_PER_RUN))


def evaluation_steps(total_steps: int, eval_every: int | None, steps_per_epoch: int | None) -> list[int]:
    """The steps where a run measures validation loss after training starts: every `eval_every` steps (None: not by
    steps), each epoch's end (`steps_per_epoch`; None: not by epochs), and the last step, measured in any case."""
    steps = {total_steps}
    for every in (eval_every, steps_per_epoch):
        if every is not None:
            steps.update(range(every, total_steps + 1, every))
    return sorted(steps)


class InvalidConfig(ValueError):
    """Hyperparameters that are not allowed. `field` names the first at fault ("hyperparameters.lora_r"); `errors`
    says what is wrong with each, and what is allowed."""

    def __init__(self, errors: list[str], field: str) -> None:
        super().__init__(errors[0])
        self.errors = errors
        self.field = field


def validate_config(values: Mapping[str, Any], *, field_prefix: str = "hyperparameters") -> TrainingConfig:
    """Defaults < `values`, validated."""
    try:
        return TrainingConfig.model_validate(values)
    except ValidationError as exc:
        fields = [f"{field_prefix}.{'.'.join(str(part) for part in error['loc'])}" for error in exc.errors()]
        messages = [f"{field}: {error['msg']}" for field, error in zip(fields, exc.errors(), strict=True)]
        raise InvalidConfig(messages, fields[0]) from exc


def resolve_run_config(
    preset: Mapping[str, Any] | None,
    overrides: Mapping[str, Any],
    *,
    dataset_template: str,
    dataset_custom_template: str | None,
) -> TrainingConfig:
    """What a run trains with: defaults < the preset's values < the run's own, validated, and the dataset's template
    unless the run picks another (the run's config then names it, so a rerun is exact)."""
    config = validate_config({**(preset or {}), **overrides})
    config = config.model_copy(
        update={
            "prompt_template": config.prompt_template or dataset_template,
            "custom_template": config.custom_template or dataset_custom_template,
        }
    )
    if config.template == "custom" and not config.custom_template:
        raise InvalidConfig(
            ["prompt_template is 'custom' but neither the run nor the dataset has a custom template"],
            "hyperparameters.custom_template",
        )
    return config

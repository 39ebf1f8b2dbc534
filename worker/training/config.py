"""The hyperparameters of one fine-tuning run.

Pure pydantic, no torch: the API validates requests with it and snapshots the resolved
values into the run; the worker turns it into SFTConfig / LoraConfig / BitsAndBytesConfig.
Each field's description is the help text the API schema and the UI both show.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from worker.training.templates import TemplateContext, TemplateName

Method = Literal["auto", "qlora", "lora"]


class TrainingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Method = Field(
        "auto",
        description=(
            "auto: QLoRA (4-bit base weights) on a CUDA GPU, plain LoRA on full-precision weights on CPU, "
            "where 4-bit NF4 was measured to make small models worse. qlora: always 4-bit. lora: never."
        ),
    )
    bnb_4bit_quant_type: Literal["nf4", "fp4"] = Field(
        "nf4", description="4-bit data type for QLoRA. NF4 suits normally distributed weights; FP4 rarely wins."
    )
    bnb_4bit_compute_dtype: Literal["bfloat16", "float16", "float32"] = Field(
        "bfloat16", description="Dtype of matmuls over 4-bit weights. bf16 is fast on recent GPUs; fp32 is safest."
    )
    bnb_4bit_use_double_quant: bool = Field(
        True, description="Quantise the quantisation constants too: saves ~0.4 bits/parameter, slightly slower."
    )
    lora_r: int = Field(16, ge=1, le=512, description="LoRA rank. Higher: more capacity, more memory and time.")
    lora_alpha: int = Field(
        32, ge=1, le=1024, description="LoRA scaling numerator (update scaled by alpha/r). Often 2×r."
    )
    lora_dropout: float = Field(
        0.05, ge=0.0, lt=1.0, description="Dropout on the LoRA input. 0.05–0.1 regularises small datasets."
    )
    lora_target_modules: str = Field(
        "all-linear",
        description="Modules that get adapters: 'all-linear' or a comma list such as 'q_proj,v_proj'.",
    )
    learning_rate: float = Field(
        2e-4, gt=0.0, le=1.0, description="Peak learning rate. 1e-4–3e-4 is typical for LoRA; lower if loss spikes."
    )
    weight_decay: float = Field(0.01, ge=0.0, le=1.0, description="AdamW weight decay. 0.01 is a good start.")
    lr_scheduler_type: Literal["constant", "constant_with_warmup", "cosine", "cosine_with_restarts", "linear"] = Field(
        "cosine", description="Learning-rate schedule. Cosine with warmup tends to beat linear decay."
    )
    warmup_ratio: float = Field(
        0.03, ge=0.0, le=0.5, description="Share of all steps spent warming the learning rate up from zero."
    )
    optim: Literal["adamw_torch", "adafactor", "sgd"] = Field(
        "adamw_torch", description="Optimiser. AdamW keeps ~8 bytes/trainable parameter; Adafactor and SGD ~4."
    )
    num_train_epochs: float = Field(
        2.0, gt=0.0, le=100.0, description="Passes over the training split. Usually under 5; watch validation loss."
    )
    max_steps: int = Field(
        -1, ge=-1, description="Stop after this many optimiser steps (overrides epochs). -1: use epochs."
    )
    per_device_train_batch_size: int = Field(
        8, ge=1, le=1024, description="Examples per step per device. Bigger is faster but needs more memory."
    )
    per_device_eval_batch_size: int = Field(8, ge=1, le=1024, description="Examples per validation batch.")
    gradient_accumulation_steps: int = Field(
        1, ge=1, le=1024, description="Micro-batches summed before a step: a bigger effective batch, no speed-up."
    )
    gradient_checkpointing: bool = Field(
        False, description="Recompute activations in the backward pass: less memory, ~30% more compute."
    )
    max_seq_length: int = Field(
        256,
        ge=16,
        le=32768,
        description="Tokens per example; longer ones are truncated. Shorter allows bigger batches.",
    )
    completion_only_loss: bool = Field(
        True, description="Train only on the response tokens (prompt masked with -100). Off: learn the whole text."
    )
    max_grad_norm: float = Field(1.0, ge=0.0, description="Clip gradients to this norm. 0 disables clipping.")
    label_smoothing_factor: float = Field(
        0.0, ge=0.0, lt=1.0, description="Spread some target probability over all tokens: better calibration."
    )
    neftune_noise_alpha: float | None = Field(
        None, ge=0.0, description="NEFTune: noise on input embeddings while training (e.g. 5). Empty: off."
    )
    logging_steps: int = Field(1, ge=1, description="Log training loss every N steps.")
    eval_steps: int = Field(5, ge=1, description="Compute validation loss every N steps (and at the end).")
    seed: int = Field(42, description="Random seed for adapter initialisation and data order.")
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

    @property
    def template(self) -> TemplateName:
        return self.prompt_template or "alpaca"

    @property
    def template_context(self) -> TemplateContext:
        return TemplateContext(custom_template=self.custom_template)

    max_new_tokens: int = Field(
        128, ge=1, le=4096, description="Longest generated answer when the test split is answered after training."
    )

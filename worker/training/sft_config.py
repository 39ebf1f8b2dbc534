"""The studio's hyperparameters as TRL, PEFT and bitsandbytes configurations."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig
from transformers import BitsAndBytesConfig, PreTrainedModel

from domain.config import TrainingConfig
from domain.hardware import Device, Hardware
from worker.training.hardware import cuda_has_tf32, hardware_for, liger_installed


def quantization_config(config: TrainingConfig, hardware: Hardware) -> BitsAndBytesConfig | None:
    method = hardware.method
    if method == "qlora":
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type=config.bnb_4bit_quant_type,
            bnb_4bit_compute_dtype=getattr(torch, config.bnb_4bit_compute_dtype),
            bnb_4bit_use_double_quant=config.bnb_4bit_use_double_quant,
        )
    if method == "lora_8bit":
        return BitsAndBytesConfig(
            load_in_8bit=True,
            llm_int8_threshold=config.llm_int8_threshold,
            llm_int8_skip_modules=config.llm_int8_skip_modules,
        )
    return None


def linear_module_names(model: torch.nn.Module) -> list[str]:
    """The names ("q_proj", "down_proj", ...) of the model's linear layers other than the output head: what PEFT's
    "all-linear" means. Needed to name them when only some layers get adapters (layers_to_transform)."""
    output = model.get_output_embeddings() if isinstance(model, PreTrainedModel) else None
    names = {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and module is not output
    }
    return sorted(names)


def build_lora_config(config: TrainingConfig, linear_modules: Sequence[str] | None = None) -> LoraConfig:
    target_modules: str | list[str]
    if config.lora_target_modules.strip() == "all-linear":
        target_modules = "all-linear"
        if config.layers_to_transform is not None:
            # PEFT only limits named modules to some layers, so "all-linear" has to be spelled out.
            if not linear_modules:
                raise ValueError("layers_to_transform with 'all-linear' needs the model's linear module names")
            target_modules = list(linear_modules)
    else:
        target_modules = [name.strip() for name in config.lora_target_modules.split(",") if name.strip()]
    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=target_modules,
        layers_to_transform=config.layers_to_transform,
        bias="none",
        task_type="CAUSAL_LM",
    )


def build_trainer_configs(
    config: TrainingConfig,
    device: Device,
    output_dir: Path = Path("trainer_output"),
    linear_modules: Sequence[str] | None = None,
) -> tuple[dict[str, Any], LoraConfig | None, BitsAndBytesConfig | None]:
    """Resolve the studio's hyperparameters into SFTConfig keyword arguments, a LoraConfig (None for full
    fine-tuning) and a bitsandbytes config (None without quantisation).

    SFTConfig keyword arguments rather than the object: building one validates against the local hardware
    (bf16 without a GPU raises), which would keep the CUDA branch untestable on CPU.
    """
    hardware = hardware_for(config, device)
    lora_config = None if hardware.method == "full" else build_lora_config(config, linear_modules)
    precision = hardware.precision
    eval_strategy = {"steps": "steps", "steps_and_epoch": "steps", "epoch": "epoch", "no": "no"}[config.eval_strategy]
    sft_kwargs: dict[str, Any] = {
        "output_dir": str(output_dir),
        "optim": config.optim,
        "learning_rate": config.learning_rate,
        "weight_decay": config.weight_decay,
        "adam_beta1": config.adam_beta1,
        "adam_beta2": config.adam_beta2,
        "adam_epsilon": config.adam_epsilon,
        "lr_scheduler_type": config.lr_scheduler_type,
        "lr_scheduler_kwargs": (
            {"num_cycles": config.lr_scheduler_num_cycles} if config.lr_scheduler_type == "cosine_with_restarts" else {}
        ),
        # transformers 5 reads a warmup_steps below 1 as a share of the total steps (ceil(ratio * total)),
        # counted after TRL has tokenised and filtered the data, so a ratio is passed as is.
        "warmup_steps": config.warmup_steps if config.warmup_steps is not None else config.warmup_ratio,
        "num_train_epochs": config.num_train_epochs,
        "max_steps": config.max_steps,
        "per_device_train_batch_size": config.per_device_train_batch_size,
        "per_device_eval_batch_size": config.per_device_eval_batch_size,
        "auto_find_batch_size": config.auto_find_batch_size,
        "gradient_accumulation_steps": config.gradient_accumulation_steps,
        # The new name of gradient_checkpointing in transformers 5 (the old one warns; TRL defaults it to True).
        "activation_checkpointing": config.gradient_checkpointing,
        # TRL turns bf16 on by default, CPU included: explicit on both.
        "bf16": precision == "bf16",
        "fp16": precision == "fp16",
        "tf32": True if device == "cuda" and cuda_has_tf32() else None,
        # Liger's fused RMSNorm, SwiGLU and RoPE (Triton: CUDA only). TRL applies its own chunked LM head in place of
        # Liger's fused linear cross-entropy, so the logits are never built whole either way.
        "use_liger_kernel": device == "cuda" and liger_installed(),
        # The dataset is already truncated to max_seq_length (domain.tokenize). TRL refuses a max_length with
        # padding-free batches that are not packed, since it would not enforce it there; nothing is left to enforce.
        "max_length": None if config.padding_free and not config.packing else config.max_seq_length,
        # TRL packs input_ids with the labels built from completion_mask (best-fit decreasing, no example split), so
        # the prompt mask survives packing; packed rows are padding-free, and attention stays within each example
        # (flash-attention kernels, or a block-diagonal mask built from position_ids).
        "packing": config.packing,
        "packing_strategy": "bfd",
        "padding_free": config.padding_free,
        # Validation is never packed: its loss stays comparable with the base model's and across runs.
        "eval_packing": False,
        # transformers 5 replaced group_by_length with a sampling strategy; lengths are read from input_ids.
        "train_sampling_strategy": "group_by_length" if config.group_by_length else "random",
        "completion_only_loss": config.completion_only_loss,
        "max_grad_norm": config.max_grad_norm,
        "label_smoothing_factor": config.label_smoothing_factor,
        "neftune_noise_alpha": config.neftune_noise_alpha,
        "logging_steps": config.logging_steps,
        # Otherwise a NaN/inf loss is logged as the running average, hiding it from the loss watchdog.
        "logging_nan_inf_filter": False,
        "eval_strategy": eval_strategy,
        # None (paced): the Trainer starts from logging_steps; TrainingFlow sets it once the step count is known.
        "eval_steps": config.eval_steps,
        "save_strategy": "steps",
        "save_steps": config.save_steps,
        "save_total_limit": config.save_total_limit,
        # Best by validation loss: the Trainer tracks it (best_model_checkpoint) and never rotates that checkpoint
        # away. Loading it at the end is done by train() (load_best_model_at_end would force save_steps to be a
        # multiple of eval_steps), and only when the config asks for it.
        "metric_for_best_model": "eval_loss" if config.evaluates else None,
        "greater_is_better": False if config.evaluates else None,
        "load_best_model_at_end": False,
        "seed": config.seed,
        "report_to": "none",
        "disable_tqdm": True,
        "use_cpu": device == "cpu",
    }
    return sft_kwargs, lora_config, quantization_config(config, hardware)

"""TrainingConfig → SFTConfig / LoraConfig / BitsAndBytesConfig, without loading a model."""

from pathlib import Path

import pytest
import torch
from trl import SFTConfig

from worker.training.config import TrainingConfig
from worker.training.sft import build_trainer_configs, resolve_method

NON_DEFAULTS = TrainingConfig(
    lora_r=8,
    lora_alpha=24,
    lora_dropout=0.1,
    lora_target_modules="q_proj, v_proj",
    learning_rate=1e-4,
    weight_decay=0.05,
    lr_scheduler_type="linear",
    warmup_ratio=0.1,
    optim="adafactor",
    num_train_epochs=3.0,
    max_steps=40,
    per_device_train_batch_size=4,
    per_device_eval_batch_size=2,
    gradient_accumulation_steps=2,
    gradient_checkpointing=True,
    max_seq_length=128,
    completion_only_loss=False,
    max_grad_norm=0.5,
    label_smoothing_factor=0.1,
    neftune_noise_alpha=5.0,
    logging_steps=2,
    eval_steps=7,
    seed=7,
)


def test_every_option_reaches_sft_config(tmp_path: Path) -> None:
    kwargs, _, _ = build_trainer_configs(NON_DEFAULTS, "cpu", tmp_path)
    args = SFTConfig(**kwargs)
    assert args.output_dir == str(tmp_path)
    assert args.learning_rate == 1e-4
    assert args.weight_decay == 0.05
    assert args.lr_scheduler_type == "linear"
    assert args.get_warmup_steps(40) == 4  # ceil(0.1 * 40)
    assert args.get_warmup_steps(26) == 3  # ceil(2.6): a ratio, resolved against the real step count
    assert args.optim == "adafactor"
    assert args.num_train_epochs == 3.0
    assert args.max_steps == 40
    assert args.per_device_train_batch_size == 4
    assert args.per_device_eval_batch_size == 2
    assert args.gradient_accumulation_steps == 2
    assert args.gradient_checkpointing is True
    assert args.max_length == 128
    assert args.completion_only_loss is False
    assert args.max_grad_norm == 0.5
    assert args.label_smoothing_factor == 0.1
    assert args.neftune_noise_alpha == 5.0
    assert args.logging_steps == 2
    assert args.eval_strategy == "steps"
    assert args.eval_steps == 7
    assert args.seed == 7
    assert args.report_to in ([], ["none"], "none")
    assert args.save_strategy == "no"
    assert args.disable_tqdm is True
    assert args.use_cpu is True
    assert args.bf16 is False and args.fp16 is False


def test_defaults_build_on_cpu(tmp_path: Path) -> None:
    kwargs, lora, bnb = build_trainer_configs(TrainingConfig(), "cpu", tmp_path)
    args = SFTConfig(**kwargs)
    assert args.gradient_checkpointing is False  # TRL's own default is True
    assert args.completion_only_loss is True
    assert args.get_warmup_steps(26) == 1
    assert lora.target_modules == "all-linear"
    assert bnb is None


def test_lora_options() -> None:
    _, lora, _ = build_trainer_configs(NON_DEFAULTS, "cpu")
    assert lora.r == 8
    assert lora.lora_alpha == 24
    assert lora.lora_dropout == 0.1
    assert set(lora.target_modules) == {"q_proj", "v_proj"}
    assert lora.task_type == "CAUSAL_LM"


def test_auto_is_plain_lora_on_cpu_and_qlora_on_cuda() -> None:
    assert resolve_method(TrainingConfig(method="auto"), "cpu") == "lora"
    assert resolve_method(TrainingConfig(method="auto"), "cuda") == "qlora"
    assert resolve_method(TrainingConfig(method="lora"), "cuda") == "lora"
    assert resolve_method(TrainingConfig(method="qlora"), "cpu") == "qlora"
    assert build_trainer_configs(TrainingConfig(method="auto"), "cpu")[2] is None
    assert build_trainer_configs(TrainingConfig(method="lora"), "cuda")[2] is None
    assert build_trainer_configs(TrainingConfig(method="auto"), "cuda")[2] is not None


@pytest.mark.parametrize(
    ("quant_type", "compute", "double"),
    [("nf4", "bfloat16", True), ("fp4", "float32", False), ("nf4", "float16", True)],
)
def test_qlora_bnb_config(quant_type: str, compute: str, double: bool) -> None:
    config = TrainingConfig(
        method="qlora", bnb_4bit_quant_type=quant_type, bnb_4bit_compute_dtype=compute, bnb_4bit_use_double_quant=double
    )
    _, _, bnb = build_trainer_configs(config, "cpu")
    assert bnb is not None
    assert bnb.load_in_4bit is True
    assert bnb.bnb_4bit_quant_type == quant_type
    assert bnb.bnb_4bit_compute_dtype == getattr(torch, compute)
    assert bnb.bnb_4bit_use_double_quant is double


@pytest.mark.parametrize(("bf16_supported", "expected"), [(True, (True, False)), (False, (False, True))])
def test_cuda_mixed_precision(monkeypatch: pytest.MonkeyPatch, bf16_supported: bool, expected: tuple) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16_supported)
    kwargs, _, _ = build_trainer_configs(TrainingConfig(), "cuda")
    assert (kwargs["bf16"], kwargs["fp16"]) == expected
    assert kwargs["use_cpu"] is False

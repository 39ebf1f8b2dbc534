"""Every built-in preset is a valid TrainingConfig, and the published recipes reach the trainer as published."""

import pytest
import torch
from trl import SFTConfig

from backend.presets.builtin import BUILTIN_PRESETS, BuiltinPreset
from domain.config import TrainingConfig
from worker.training.sft_config import build_trainer_configs


def preset(name_start: str) -> TrainingConfig:
    found = next(p for p in BUILTIN_PRESETS if p.name.startswith(name_start))
    return TrainingConfig.model_validate(found.hyperparameters)


@pytest.mark.parametrize("builtin", BUILTIN_PRESETS, ids=lambda p: p.name)
def test_builtin_presets_validate_and_build(builtin: BuiltinPreset) -> None:
    config = TrainingConfig.model_validate(builtin.hyperparameters)
    kwargs, _, _ = build_trainer_configs(config, "cpu")
    SFTConfig(**kwargs)
    assert builtin.description


def test_worked_example_on_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    kwargs, lora, bnb = build_trainer_configs(preset("Fine-tuning chapter"), "cuda")
    expected = {
        "optim": "paged_adamw_32bit",
        "learning_rate": 3e-4,
        "weight_decay": 0.01,
        "lr_scheduler_type": "cosine",
        "warmup_steps": 0.03,
        "gradient_accumulation_steps": 4,
        "bf16": True,
        "fp16": False,
        "activation_checkpointing": True,
        "label_smoothing_factor": 0.1,
        "neftune_noise_alpha": 5.0,
        "per_device_train_batch_size": 8,
        "per_device_eval_batch_size": 8,
        "max_grad_norm": 2.0,
        "train_sampling_strategy": "group_by_length",
        "num_train_epochs": 3.0,
        "save_steps": 50,
        "logging_steps": 10,
        "max_length": 128,
        "packing": True,
    }
    assert {key: kwargs[key] for key in expected} == expected
    assert lora is not None
    assert (lora.r, lora.lora_alpha, lora.lora_dropout, lora.target_modules) == (64, 8, 0.1, "all-linear")
    assert bnb is not None
    assert bnb.load_in_4bit and bnb.bnb_4bit_quant_type == "nf4"
    assert bnb.bnb_4bit_compute_dtype == torch.float16
    assert bnb.bnb_4bit_use_double_quant is False


def test_qlora_paper_uses_paged_adamw() -> None:
    config = preset("QLoRA paper")
    assert (config.optim, config.lr_scheduler_type, config.max_grad_norm) == ("paged_adamw_32bit", "constant", 0.3)
    assert (config.lora_r, config.lora_alpha, config.lora_dropout) == (64, 16, 0.05)

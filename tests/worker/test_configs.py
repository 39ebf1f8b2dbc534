"""TrainingConfig → SFTConfig / LoraConfig / BitsAndBytesConfig / callbacks, without loading a model.

Every hyperparameter is asserted on the resolved object the trainer receives, not on the request.
"""

from pathlib import Path
from typing import Any

import pytest
import torch
from pydantic import ValidationError
from trl import SFTConfig

from domain.config import TrainingConfig
from domain.hardware import resolution_notes
from tests.worker.conftest import RecordingSink
from worker.training import hardware
from worker.training import sft_config as sft_config_module
from worker.training.hardware import hardware_for, weights_dtype
from worker.training.sft import build_callbacks
from worker.training.sft_config import build_trainer_configs

NON_DEFAULTS = TrainingConfig(
    lora_r=8,
    lora_alpha=24,
    lora_dropout=0.1,
    lora_target_modules="q_proj, v_proj",
    layers_to_transform=[3, 1],
    optim="paged_adamw_8bit",
    learning_rate=1e-4,
    weight_decay=0.05,
    adam_beta1=0.8,
    adam_beta2=0.95,
    adam_epsilon=1e-6,
    lr_scheduler_type="cosine_with_restarts",
    lr_scheduler_num_cycles=3,
    warmup_ratio=0.1,
    num_train_epochs=3.0,
    max_steps=40,
    per_device_train_batch_size=4,
    per_device_eval_batch_size=2,
    auto_find_batch_size=True,
    gradient_accumulation_steps=2,
    gradient_checkpointing=True,
    max_seq_length=128,
    packing=True,
    group_by_length=True,
    completion_only_loss=False,
    max_grad_norm=0.5,
    label_smoothing_factor=0.1,
    neftune_noise_alpha=5.0,
    logging_steps=2,
    eval_strategy="steps_and_epoch",
    eval_steps=7,
    seed=7,
    save_steps=14,
    save_total_limit=3,
    load_best_model_at_end=True,
    early_stopping_patience=4,
    early_stopping_threshold=0.01,
    max_loss_spike_factor=3.0,
)


def sft_config(config: TrainingConfig, tmp_path: Path, **kwargs: Any) -> SFTConfig:
    sft_kwargs, _, _ = build_trainer_configs(config, "cpu", tmp_path, **kwargs)
    return SFTConfig(**sft_kwargs)


def test_every_option_reaches_sft_config(tmp_path: Path) -> None:
    args = sft_config(NON_DEFAULTS, tmp_path)
    assert args.output_dir == str(tmp_path)
    assert args.optim == "paged_adamw_8bit"
    assert args.learning_rate == 1e-4
    assert args.weight_decay == 0.05
    assert (args.adam_beta1, args.adam_beta2, args.adam_epsilon) == (0.8, 0.95, 1e-6)
    assert args.lr_scheduler_type == "cosine_with_restarts"
    assert args.lr_scheduler_kwargs == {"num_cycles": 3}
    assert args.get_warmup_steps(40) == 4  # ceil(0.1 * 40)
    assert args.get_warmup_steps(26) == 3  # ceil(2.6): a ratio, resolved against the real step count
    assert args.num_train_epochs == 3.0
    assert args.max_steps == 40
    assert args.per_device_train_batch_size == 4
    assert args.per_device_eval_batch_size == 2
    assert args.auto_find_batch_size is True
    assert args.gradient_accumulation_steps == 2
    assert args.activation_checkpointing is True and args.gradient_checkpointing is True
    assert args.max_length == 128
    assert args.packing is True and args.packing_strategy == "bfd"
    assert args.eval_packing is False  # validation loss stays comparable with the base model's
    assert args.train_sampling_strategy == "group_by_length"
    assert args.completion_only_loss is False
    assert args.max_grad_norm == 0.5
    assert args.label_smoothing_factor == 0.1
    assert args.neftune_noise_alpha == 5.0
    assert args.logging_steps == 2
    assert args.logging_nan_inf_filter is False  # the loss watchdog must see a NaN
    assert args.eval_strategy == "steps"  # "and each epoch" is added by a callback
    assert args.eval_steps == 7
    assert args.seed == 7
    assert args.save_strategy == "steps"
    assert args.save_steps == 14
    assert args.save_total_limit == 3
    assert args.metric_for_best_model == "eval_loss" and args.greater_is_better is False
    assert args.load_best_model_at_end is False  # train() restores the best itself, without the Trainer's constraint
    assert args.report_to in ([], ["none"], "none")
    assert args.disable_tqdm is True
    assert args.use_cpu is True
    assert args.bf16 is False and args.fp16 is False


def test_callback_options_reach_the_callbacks() -> None:
    callbacks = build_callbacks(NON_DEFAULTS, RecordingSink(), resumed_step=12)
    assert callbacks.sink.resumed_step == 12
    assert (callbacks.flow.evaluate_each_epoch, callbacks.flow.paced) == (True, False)
    assert callbacks.monitor.patience == 4
    assert callbacks.monitor.threshold == 0.01
    assert callbacks.monitor.keep_best is True
    assert callbacks.watchdog.spike_factor == 3.0

    defaults = build_callbacks(TrainingConfig(), RecordingSink())
    assert defaults.sink.resumed_step == 0
    # About 20 evaluations per run, and each epoch's end.
    assert (defaults.flow.evaluate_each_epoch, defaults.flow.paced) == (True, True)
    assert defaults.monitor.patience is None
    assert defaults.monitor.keep_best is False
    assert defaults.watchdog.spike_factor == 5.0
    # Early stopping alone also ends the run on its best weights.
    assert build_callbacks(TrainingConfig(early_stopping_patience=2), RecordingSink()).monitor.keep_best is True
    assert build_callbacks(TrainingConfig(max_loss_spike_factor=None), RecordingSink()).watchdog.spike_factor is None


def test_defaults_build_on_cpu(tmp_path: Path) -> None:
    kwargs, lora, bnb = build_trainer_configs(TrainingConfig(), "cpu", tmp_path)
    args = SFTConfig(**kwargs)
    assert args.gradient_checkpointing is False  # TRL's own default is True
    assert args.completion_only_loss is True
    assert args.get_warmup_steps(26) == 1
    assert args.optim == "adamw_torch"
    assert args.lr_scheduler_kwargs == {}
    assert args.packing is False and args.padding_free is True and args.max_length is None
    assert args.train_sampling_strategy == "random"
    assert args.eval_strategy == "steps"
    assert args.save_steps == 50 and args.save_total_limit == 2
    assert lora is not None and lora.target_modules == "all-linear" and lora.layers_to_transform is None
    assert bnb is None


@pytest.mark.parametrize("strategy", ["epoch", "no"])
def test_eval_strategy(strategy: str, tmp_path: Path) -> None:
    args = sft_config(TrainingConfig(eval_strategy=strategy), tmp_path)  # type: ignore[arg-type]
    assert args.eval_strategy == strategy
    assert args.metric_for_best_model == ("eval_loss" if strategy != "no" else None)


def test_warmup_steps_instead_of_a_ratio(tmp_path: Path) -> None:
    config = TrainingConfig.model_validate({"warmup_steps": 10})
    assert config.warmup_ratio == 0.0  # so the stored config validates again
    assert TrainingConfig.model_validate(config.model_dump()) == config
    args = sft_config(config, tmp_path)
    assert args.get_warmup_steps(100) == 10
    assert args.get_warmup_steps(1000) == 10


def test_padding_free_without_packing(tmp_path: Path) -> None:
    args = sft_config(TrainingConfig(padding_free=True), tmp_path)
    assert args.padding_free is True and args.packing is False
    # The rows are already truncated; TRL refuses a max_length it could not enforce on padding-free batches.
    assert args.max_length is None


def test_lora_options() -> None:
    _, lora, _ = build_trainer_configs(NON_DEFAULTS, "cpu")
    assert lora is not None
    assert lora.r == 8
    assert lora.lora_alpha == 24
    assert lora.lora_dropout == 0.1
    assert set(lora.target_modules) == {"q_proj", "v_proj"}
    assert lora.layers_to_transform == [1, 3]
    assert lora.task_type == "CAUSAL_LM"


def test_all_linear_on_some_layers_names_the_modules() -> None:
    config = TrainingConfig(layers_to_transform=[0])
    with pytest.raises(ValueError, match="linear module names"):
        build_trainer_configs(config, "cpu")
    _, lora, _ = build_trainer_configs(config, "cpu", linear_modules=["q_proj", "down_proj"])
    assert lora is not None
    assert set(lora.target_modules) == {"q_proj", "down_proj"}
    assert lora.layers_to_transform == [0]


def test_methods() -> None:
    assert hardware_for(TrainingConfig(method="auto"), "cpu").method == "lora"
    assert hardware_for(TrainingConfig(method="auto"), "cuda").method == "qlora"
    assert hardware_for(TrainingConfig(method="lora"), "cuda").method == "lora"
    assert hardware_for(TrainingConfig(method="qlora"), "cpu").method == "qlora"
    assert build_trainer_configs(TrainingConfig(method="auto"), "cpu")[2] is None
    assert build_trainer_configs(TrainingConfig(method="lora"), "cuda")[2] is None
    assert build_trainer_configs(TrainingConfig(method="auto"), "cuda")[2] is not None
    _, lora, bnb = build_trainer_configs(TrainingConfig(method="full"), "cpu")
    assert lora is None and bnb is None
    assert weights_dtype(hardware_for(TrainingConfig(method="full"), "cpu")) == torch.float32


@pytest.mark.parametrize(
    ("quant_type", "compute", "double"),
    [("nf4", "bfloat16", True), ("fp4", "float32", False), ("nf4", "float16", True)],
)
def test_qlora_bnb_config(quant_type: str, compute: str, double: bool) -> None:
    config = TrainingConfig(
        method="qlora",
        bnb_4bit_quant_type=quant_type,  # type: ignore[arg-type]
        bnb_4bit_compute_dtype=compute,  # type: ignore[arg-type]
        bnb_4bit_use_double_quant=double,
    )
    _, _, bnb = build_trainer_configs(config, "cpu")
    assert bnb is not None
    assert bnb.load_in_4bit is True and bnb.load_in_8bit is False
    assert bnb.bnb_4bit_quant_type == quant_type
    assert bnb.bnb_4bit_compute_dtype == getattr(torch, compute)
    assert bnb.bnb_4bit_use_double_quant is double


def test_8bit_bnb_config() -> None:
    config = TrainingConfig(method="lora_8bit", llm_int8_threshold=4.0, llm_int8_skip_modules=["lm_head", " gate "])
    _, lora, bnb = build_trainer_configs(config, "cpu")
    assert lora is not None
    assert bnb is not None
    assert bnb.load_in_8bit is True and bnb.load_in_4bit is False
    assert bnb.llm_int8_threshold == 4.0
    assert bnb.llm_int8_skip_modules == ["lm_head", "gate"]


@pytest.mark.parametrize(
    ("precision", "bf16_supported", "expected"),
    [
        ("auto", True, "bf16"),
        ("auto", False, "fp16"),
        ("bf16", True, "bf16"),
        ("bf16", False, "fp16"),
        ("fp16", True, "fp16"),
        ("fp32", True, "fp32"),
    ],
)
def test_cuda_mixed_precision(
    monkeypatch: pytest.MonkeyPatch, precision: str, bf16_supported: bool, expected: str
) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16_supported)
    config = TrainingConfig(precision=precision)  # type: ignore[arg-type]
    kwargs, _, _ = build_trainer_configs(config, "cuda")
    assert (kwargs["bf16"], kwargs["fp16"]) == (expected == "bf16", expected == "fp16")
    assert kwargs["use_cpu"] is False
    assert hardware_for(config, "cuda").precision == expected
    assert (
        weights_dtype(hardware_for(config, "cuda"))
        == {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[expected]
    )


@pytest.mark.parametrize(("tf32", "liger"), [(True, True), (False, False)])
def test_tf32_and_liger_on_cuda_when_there(monkeypatch: pytest.MonkeyPatch, tf32: bool, liger: bool) -> None:
    monkeypatch.setattr(sft_config_module, "cuda_has_tf32", lambda: tf32)
    monkeypatch.setattr(sft_config_module, "liger_installed", lambda: liger)
    kwargs, _, _ = build_trainer_configs(TrainingConfig(method="lora"), "cuda")
    assert kwargs["tf32"] is (True if tf32 else None)  # None: left to torch (no TF32 before Ampere)
    assert kwargs["use_liger_kernel"] is liger
    on_cpu, _, _ = build_trainer_configs(TrainingConfig(), "cpu")
    assert on_cpu["tf32"] is None and on_cpu["use_liger_kernel"] is False  # Liger's kernels are Triton: CUDA only


@pytest.mark.parametrize(
    ("precision", "native_bf16", "expected", "note"),
    [
        ("auto", True, "fp32", None),  # a little faster in bf16, but a higher validation loss
        ("auto", False, "fp32", None),
        ("bf16", True, "bf16", None),
        (
            "bf16",
            False,
            "fp32",
            "this CPU has no native bf16 (AVX-512 BF16 or AMX), and emulated bf16 is slower than fp32",
        ),
        ("fp16", True, "fp32", "CPUs have no fast fp16 matmuls"),
        ("fp32", True, "fp32", None),
    ],
)
def test_cpu_precision_follows_native_bf16(
    monkeypatch: pytest.MonkeyPatch, precision: str, native_bf16: bool, expected: str, note: str | None
) -> None:
    """bf16 when asked for on a CPU that multiplies it natively (frozen weights in bf16, autocast), else fp32."""
    monkeypatch.setattr(hardware, "cpu_computes_bf16", lambda: native_bf16)
    config = TrainingConfig(precision=precision)  # type: ignore[arg-type]
    kwargs, _, _ = build_trainer_configs(config, "cpu")
    assert (kwargs["bf16"], kwargs["fp16"]) == (expected == "bf16", False)
    resolved = hardware_for(config, "cpu")
    assert weights_dtype(resolved) == {"bf16": torch.bfloat16, "fp32": torch.float32}[expected]
    expected_notes = [f"precision {precision} requested, training in {expected}: {note}"] if note else []
    assert resolution_notes(config, resolved) == expected_notes


def test_packing_is_explained() -> None:
    config = TrainingConfig(packing=True, group_by_length=True, auto_find_batch_size=True)
    notes = resolution_notes(config, hardware_for(config, "cpu"))
    assert any(note.startswith("packing:") for note in notes)
    assert any("group_by_length has no effect" in note for note in notes)
    assert any("auto_find_batch_size has no effect on CPU" in note for note in notes)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"learning_rate": 0}, "learning_rate", "greater than 0"),
        ({"optim": "adam"}, "optim", "paged_adamw_32bit"),
        ({"method": "qlora_2bit"}, "method", "lora_8bit"),
        ({"lr_scheduler_type": "polynomial"}, "lr_scheduler_type", "cosine_with_restarts"),
        ({"adam_beta1": 1.0}, "adam_beta1", "less than 1"),
        ({"adam_epsilon": 0}, "adam_epsilon", "greater than 0"),
        ({"warmup_ratio": 0.1, "warmup_steps": 5}, "warmup_steps", "not both"),
        ({"max_steps": 0}, "max_steps", "-1"),
        ({"save_steps": 0}, "save_steps", "greater than or equal to 1"),
        ({"save_total_limit": 0}, "save_total_limit", "greater than or equal to 1"),
        ({"eval_strategy": "no", "early_stopping_patience": 2}, "early_stopping_patience", "eval_strategy"),
        ({"eval_strategy": "no", "load_best_model_at_end": True}, "load_best_model_at_end", "eval_strategy"),
        ({"early_stopping_patience": 0}, "early_stopping_patience", "greater than or equal to 1"),
        ({"max_loss_spike_factor": 1.0}, "max_loss_spike_factor", "greater than 1"),
        ({"layers_to_transform": [-1]}, "layers_to_transform", "start at 0"),
        ({"layers_to_transform": []}, "layers_to_transform", "at least one layer"),
        ({"method": "full", "layers_to_transform": [1]}, "layers_to_transform", "full fine-tuning"),
        ({"lora_target_modules": " , "}, "lora_target_modules", "at least one module"),
        ({"precision": "int8"}, "precision", "fp32"),
        ({"eval_strategy": "always"}, "eval_strategy", "steps_and_epoch"),
        ({"llm_int8_skip_modules": [""]}, "llm_int8_skip_modules", "empty"),
        ({"lora_dropot": 0.1}, "lora_dropot", "Extra inputs"),
    ],
)
def test_invalid_values_name_the_field(values: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        TrainingConfig.model_validate(values)
    errors = raised.value.errors()
    assert errors[0]["loc"] == (field,)
    assert message in errors[0]["msg"]


def test_every_field_has_a_help_text_and_a_resolved_config_validates_again() -> None:
    for name, field in TrainingConfig.model_fields.items():
        assert field.description and len(field.description) > 20, name
    assert TrainingConfig.model_validate(NON_DEFAULTS.model_dump()) == NON_DEFAULTS

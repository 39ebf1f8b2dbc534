"""train() and generate_answers() end to end on the tiny random Llama."""

from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, PreTrainedModel

from domain.config import TrainingConfig
from domain.log import LogKind
from domain.records import AlpacaRecord
from domain.templates import render
from tests.worker.conftest import RecordingSink
from worker.training import generate
from worker.training.generate import generate_answers
from worker.training.sft import train
from worker.training.types import RunPaths, SplitData, TrainingResult

ROWS = [AlpacaRecord(instruction=f"Repeat the word twice: w{i}", output=f"w{i} w{i}") for i in range(24)]
DATA = SplitData(train=ROWS[:18], validation=ROWS[18:22], test=ROWS[22:])
# A high learning rate so a few steps visibly move the random model.
CONFIG = TrainingConfig(max_steps=5, per_device_train_batch_size=4, eval_steps=2, learning_rate=1e-2)


@dataclass
class TrainedRun:
    result: TrainingResult
    sink: RecordingSink


@pytest.fixture(scope="module")
def trained(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainedRun:
    sink = RecordingSink()
    paths = RunPaths(base_model_location=str(tiny_model), output_dir=tmp_path_factory.mktemp("run"))
    return TrainedRun(train(CONFIG, DATA, paths, sink), sink)


def test_train_loss_every_step_once(trained: TrainedRun) -> None:
    steps = [step for step, _ in trained.sink.series("train_loss")]
    assert steps == [1, 2, 3, 4, 5]
    for name in ("learning_rate", "grad_norm", "train_token_accuracy", "tokens_per_second"):
        assert [step for step, _ in trained.sink.series(name)] == steps
    sent = [(step, name) for step, _, values in trained.sink.metrics_calls for name in values]
    assert len(sent) == len(set(sent))


def test_eval_curve_starts_with_base_model_and_ends_at_last_step(trained: TrainedRun) -> None:
    evals = dict(trained.sink.series("eval_loss"))
    assert sorted(evals) == [0, 2, 4, 5]  # base model, every eval_steps, and the final step
    assert trained.result.base_eval_loss == evals[0]
    assert trained.result.final_eval_loss == evals[5]
    assert [step for step, _ in trained.sink.series("eval_token_accuracy")] == [0, 2, 4, 5]
    assert any(event.startswith("base model validation loss") for event in trained.sink.lines)
    assert "training 5 steps" in trained.sink.lines_of(LogKind.PROGRESS)


def test_the_log_says_which_method_and_why(trained: TrainedRun) -> None:
    assert (
        "method auto: LoRA, as always on CPU (4-bit weights were measured to make small models worse there)"
        in trained.sink.lines
    )
    assert "validation loss every 2 steps: 3 evaluations after the base model's" in trained.sink.lines


def test_result_and_adapter(trained: TrainedRun) -> None:
    result = trained.result
    assert not result.cancelled
    assert result.global_step == 5
    assert (result.device, result.quantization) == ("cpu", "none")
    assert {"torch", "transformers", "trl", "peft", "bitsandbytes", "device_name"} <= set(result.environment)
    assert result.weights_dir is not None
    assert (result.weights_dir / "adapter_config.json").is_file()
    assert (result.weights_dir / "tokenizer.json").is_file()
    weights = load_file(result.weights_dir / "adapter_model.safetensors")
    lora_b = [tensor for name, tensor in weights.items() if "lora_B" in name]
    assert lora_b, "no LoRA weights saved"
    assert all(tensor.dtype.is_floating_point and tensor.element_size() == 4 for tensor in weights.values())
    # PEFT initialises B to zero: a non-zero B proves the optimiser updated the adapter.
    assert any(tensor.abs().sum() > 0 for tensor in lora_b)


def test_cancel_stops_early_without_adapter(tiny_model: Path, tmp_path: Path) -> None:
    sink = RecordingSink(cancel_after_step=2)
    config = CONFIG.model_copy(update={"max_steps": 20})
    result = train(config, DATA, RunPaths(base_model_location=str(tiny_model), output_dir=tmp_path), sink)
    assert result.cancelled
    assert result.weights_dir is None
    assert not (tmp_path / "adapter").exists()
    assert 2 <= result.global_step < 5
    assert max(step for step, _ in sink.series("train_loss")) == result.global_step


def test_generate_answers_one_per_prompt(trained: TrainedRun, tiny_model: Path) -> None:
    assert trained.result.weights_dir is not None
    prompts = [render(CONFIG.template, example).prompt for example in DATA.test] + ["Hi"]
    sink = RecordingSink()
    tuned, base = generate_answers(str(tiny_model), trained.result.weights_dir, prompts, 6, sink, max_batch_size=2)
    assert len(tuned) == len(base) == len(prompts)
    assert all(isinstance(answer, str) for answer in tuned + base)
    assert tuned != base  # the adapter changes the model
    assert sink.lines


def test_base_answers_reuse_the_loaded_base_model(
    trained: TrainedRun, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The base model's answers come from the model loaded for the adapter's, adapter off: one load, and the same
    answers as a base model loaded on its own (float32, greedy)."""
    assert trained.result.weights_dir is not None
    monkeypatch.setattr(generate, "model_dtype", lambda device: torch.float32)
    loads: list[str] = []
    from_pretrained = AutoModelForCausalLM.from_pretrained

    def counted(location: str | Path, *args: object, **kwargs: object) -> PreTrainedModel:
        loads.append(str(location))
        return from_pretrained(location, *args, **kwargs)

    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", counted)
    prompts = [render(CONFIG.template, example).prompt for example in DATA.test]
    tuned, base = generate_answers(str(tiny_model), trained.result.weights_dir, prompts, 6)
    assert loads == [str(tiny_model)]

    fresh = generate.load_model(tiny_model, "cpu", torch.float32)
    assert fresh.dtype == torch.float32
    assert base == generate.answer(fresh, generate.load_tokenizer(str(tiny_model), None), prompts, 6)
    assert tuned != base

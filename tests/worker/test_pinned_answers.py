"""Answers during training: the pinned validation examples answered at every evaluation, on the tiny random Llama."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from transformers import TrainerCallback

from domain.config import TrainingConfig
from domain.records import AlpacaRecord
from tests.worker.conftest import RecordingSink
from worker.training.sft import train
from worker.training.types import AnswerSink, PinnedAnswer, RunPaths, SplitData

ROWS = [AlpacaRecord(instruction=f"Repeat the word twice: w{i}", output=f"w{i} w{i}") for i in range(30)]
# 10 validation examples: only the first 3 are pinned.
DATA = SplitData(train=ROWS[:16], validation=ROWS[16:26], test=ROWS[26:], validation_ids=list(range(116, 126)))
CONFIG = TrainingConfig(max_steps=5, per_device_train_batch_size=4, eval_steps=2, learning_rate=1e-2, pinned_examples=3)


@dataclass
class AnswerRecordingSink(RecordingSink):
    answer_calls: list[tuple[int, list[PinnedAnswer]]] = field(default_factory=list)
    train_mode: list[bool] = field(default_factory=list)

    def answers(self, step: int, items: Sequence[PinnedAnswer]) -> None:
        self.answer_calls.append((step, list(items)))


def run(config: TrainingConfig, tiny_model: Path, output_dir: Path) -> AnswerRecordingSink:
    sink = AnswerRecordingSink()
    assert isinstance(sink, AnswerSink)
    train(config, DATA, RunPaths(base_model_location=str(tiny_model), output_dir=output_dir), sink)
    return sink


@pytest.fixture(scope="module")
def sink(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> AnswerRecordingSink:
    return run(CONFIG, tiny_model, tmp_path_factory.mktemp("run"))


def test_answers_at_every_evaluation_once(sink: AnswerRecordingSink) -> None:
    steps = [step for step, _ in sink.answer_calls]
    # The base model at step 0, every eval_steps, the final step: the steps of the validation loss curve.
    assert steps == [0, 2, 4, 5]
    assert steps == [step for step, _ in sink.series("eval_loss")]


def test_the_first_validation_examples_are_pinned(sink: AnswerRecordingSink) -> None:
    for _, items in sink.answer_calls:
        assert [item.example_id for item in items] == [116, 117, 118]
        assert [item.prompt for item in items] == [f"Repeat the word twice: w{i}" for i in (16, 17, 18)]
        assert [item.expected for item in items] == [f"w{i} w{i}" for i in (16, 17, 18)]
        assert all(isinstance(item.answer, str) for item in items)
    # Greedy and random weights: the tiny model answers something (not empty at every step).
    assert any(item.answer for _, items in sink.answer_calls for item in items)


class TrainingState(TrainerCallback):
    """What each optimiser step trained with: the model's mode and the tokenizer's padding side."""

    def __init__(self) -> None:
        self.seen: list[tuple[bool, str]] = []

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        self.seen.append((model.training, kwargs["processing_class"].padding_side))


def test_training_continues_in_train_mode_with_right_padding(tiny_model: Path, tmp_path: Path) -> None:
    sink, seen = AnswerRecordingSink(), TrainingState()
    config = CONFIG.model_copy(update={"max_steps": 3, "eval_steps": 1})
    paths = RunPaths(base_model_location=str(tiny_model), output_dir=tmp_path)
    train(config, DATA, paths, sink, extra_callbacks=[seen])
    assert [step for step, _ in sink.answer_calls] == [0, 1, 2, 3]
    # Steps 2 and 3 train right after an evaluation with generation.
    assert seen.seen == [(True, "right")] * 3


def test_zero_pins_nothing(tiny_model: Path, tmp_path: Path) -> None:
    sink = run(CONFIG.model_copy(update={"pinned_examples": 0, "max_steps": 2}), tiny_model, tmp_path)
    assert sink.answer_calls == []
    assert sink.series("eval_loss")

"""Fixtures for the worker's ML tests: a tiny random Llama (seconds) and the bundled SmolLM2 (converted once)."""

import os

# No network in tests: anything not on disk must fail fast instead of retrying the hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from domain.log import LogKind


@dataclass
class RecordingSink:
    """A TrainingSink that keeps everything; cancels once train_loss has been reported for `cancel_after_step`."""

    cancel_after_step: int | None = None
    metrics_calls: list[tuple[int, float | None, dict[str, float]]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    kinds: list[LogKind] = field(default_factory=list)  # each line's kind, in the same order

    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        self.metrics_calls.append((step, epoch, dict(values)))

    def log(self, message: str, kind: LogKind = LogKind.INFO) -> None:
        self.lines.append(message)
        self.kinds.append(kind)

    def lines_of(self, kind: LogKind) -> list[str]:
        return [message for message, k in zip(self.lines, self.kinds, strict=True) if k == kind]

    def cancel_requested(self) -> bool:
        return self.cancel_after_step is not None and any(
            step >= self.cancel_after_step and "train_loss" in values for step, _, values in self.metrics_calls
        )

    def series(self, name: str) -> list[tuple[int, float]]:
        return [(step, values[name]) for step, _, values in self.metrics_calls if name in values]


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")

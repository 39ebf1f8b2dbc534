"""Out-of-memory errors: recognising one, and the smaller micro-batch to try next.

A retry keeps the effective batch (micro-batch x gradient accumulation), so the run optimises the same objective with
the same number of steps and learning-rate schedule: it trades time for memory, not quality.
"""

from dataclasses import dataclass
from typing import Any

import torch
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

MAX_OOM_RETRIES = 2


@dataclass(frozen=True)
class BatchSettings:
    batch_size: int  # per_device_train_batch_size: the examples in one forward pass, what memory scales with
    accumulation: int  # gradient_accumulation_steps

    @property
    def effective(self) -> int:
        return self.batch_size * self.accumulation


def next_batch_settings(
    current: BatchSettings, retries_done: int, max_retries: int = MAX_OOM_RETRIES
) -> BatchSettings | None:
    """What to retry with after an out-of-memory error at `current`; None when it is time to give up.

    Halves the micro-batch and doubles the accumulation. An odd micro-batch cannot be halved exactly, so it is divided
    by its smallest factor instead (6 → 3 x 2, 9 → 3 x 3, 7 → 1 x 7): the effective batch never changes.
    """
    if retries_done >= max_retries or current.batch_size <= 1:
        return None
    factor = next(f for f in range(2, current.batch_size + 1) if current.batch_size % f == 0)
    return BatchSettings(current.batch_size // factor, current.accumulation * factor)


def retry_message(before: BatchSettings, after: BatchSettings, retry: int, max_retries: int = MAX_OOM_RETRIES) -> str:
    return (
        f"Out of memory at batch size {before.batch_size} × accumulation {before.accumulation}: retrying with "
        f"{after.batch_size} × {after.accumulation} (same effective batch of {after.effective}), "
        f"retry {retry} of {max_retries}"
    )


def is_out_of_memory(exc: BaseException) -> bool:
    # torch.cuda.OutOfMemoryError is torch.OutOfMemoryError; other allocators (MPS, bitsandbytes, CPU) raise a
    # RuntimeError that only says so in its message.
    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
    )


class SimulatedOutOfMemory(TrainerCallback):
    """Fault injection for tests and diagnostics (the worker setting STUDIO_SIMULATE_OOM_ABOVE_BATCH): raises the
    error CUDA raises when a training micro-batch above `limit` is tried, so the out-of-memory retries can be
    exercised on a machine without a GPU. Never set in production."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def on_step_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if args.per_device_train_batch_size > self.limit:
            raise torch.OutOfMemoryError(
                f"CUDA out of memory (simulated: micro-batch {args.per_device_train_batch_size} is above "
                f"STUDIO_SIMULATE_OOM_ABOVE_BATCH={self.limit})"
            )

"""Where a run's files live below its output directory (storage key `runs/<id>`), for the worker that writes them
and the API that serves them.

checkpoint-N/ while training; then the trained weights in adapter/ (a LoRA adapter) or model/ (a whole model, after
method full); and, when asked, the adapter merged into the base model in merged/.
"""

from pathlib import Path
from typing import Literal

WeightsKind = Literal["adapter", "model"]  # what the trained weights' folder holds, and its name
MERGED_DIR = "merged"
CHECKPOINT_PREFIX = "checkpoint-"


def run_storage_key(run_id: int) -> str:
    return f"runs/{run_id}"


def checkpoint_dir(output_dir: str | Path, step: int) -> Path:
    """Where the Trainer saves the checkpoint of optimiser step `step`."""
    return Path(output_dir) / f"{CHECKPOINT_PREFIX}{step}"


def checkpoint_step(checkpoint: Path) -> int | None:
    """N of a directory named checkpoint-N; None for any other name."""
    suffix = checkpoint.name.removeprefix(CHECKPOINT_PREFIX)
    return int(suffix) if checkpoint.name.startswith(CHECKPOINT_PREFIX) and suffix.isdigit() else None

"""A reproducible train/validation/test split, stored so every run compares on the same test rows."""

import hashlib
import random
from collections.abc import Sequence

from backend.models import Split
from worker.training.templates import Example

DEFAULT_RATIOS = (0.85, 0.05, 0.10)


def assign_splits(count: int, seed: int, ratios: tuple[float, float, float] = DEFAULT_RATIOS) -> list[Split]:
    """At least one validation and one test row, so every run has a validation loss and answers to compare."""
    num_validation = max(1, round(count * ratios[1]))
    num_test = max(1, round(count * ratios[2]))
    order = list(range(count))
    random.Random(seed).shuffle(order)
    splits = [Split.TRAIN] * count
    for index in order[:num_validation]:
        splits[index] = Split.VALIDATION
    for index in order[num_validation : num_validation + num_test]:
        splits[index] = Split.TEST
    return splits


def split_hash(examples: Sequence[Example], splits: Sequence[Split]) -> str:
    digest = hashlib.sha256()
    for example, split in zip(examples, splits, strict=True):
        for part in (split.value, example.instruction, example.input, example.output):
            digest.update(part.encode())
            digest.update(b"\x1f")
    return digest.hexdigest()

"""A reproducible train/validation/test split, stored so every run compares on the same test rows."""

import hashlib
import random
from collections.abc import Sequence

from backend.models import Split
from worker.training.types import AnyRecord

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


def split_hash(records: Sequence[AnyRecord], splits: Sequence[Split]) -> str:
    """Identifies the exact examples in each split: two runs with the same hash were compared on the same data."""
    digest = hashlib.sha256()
    for record, split in zip(records, splits, strict=True):
        digest.update(split.value.encode())
        digest.update(record.model_dump_json().encode())
        digest.update(b"\n")
    return digest.hexdigest()

"""A reproducible train/validation/test split, stored so every run compares on the same test rows."""

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from backend.models import Split
from domain.records import AnyRecord

DEFAULT_SEED = 42
MAX_SEED = 2**31 - 1  # stored in a 32-bit column on PostgreSQL


@dataclass(frozen=True)
class SplitRatios:
    train: float = 0.85
    validation: float = 0.05
    test: float = 0.10

    def problem(self) -> tuple[str, str] | None:
        """(field, message) when the ratios cannot be used."""
        for name in ("train", "validation", "test"):
            value = getattr(self, name)
            if not math.isfinite(value) or not 0 <= value <= 1:
                return f"{name}_ratio", f"{name}_ratio must be between 0 and 1, got {value}"
        if self.train == 0:
            return "train_ratio", "train_ratio must be above 0: a run needs rows to train on"
        total = self.train + self.validation + self.test
        if abs(total - 1) > 1e-6:
            return "train_ratio", f"train_ratio + validation_ratio + test_ratio must be 1, they add up to {total:g}"
        return None

    def drawn(self, validation_file: bool, test_file: bool) -> dict[str, float] | None:
        """The fractions of the main file that go to each split; a split supplied as its own file is absent
        (its share stays in train). None when the file is all train."""
        if validation_file and test_file:
            return None
        drawn = {}
        if not validation_file:
            drawn["validation"] = self.validation
        if not test_file:
            drawn["test"] = self.test
        return {"train": round(1 - sum(drawn.values()), 6), **drawn}


def split_counts(count: int, validation: float, test: float) -> tuple[int, int, int]:
    """(train, validation, test) row counts.

    A split with a ratio above 0 gets at least one row, so every run has a validation loss and answers to
    compare however small the dataset; a ratio of 0 means none (no validation loss, no test answers). Train
    keeps at least one row: what it would lose is taken from the larger of the other two.
    """
    num_validation = max(1, round(count * validation)) if validation > 0 else 0
    num_test = max(1, round(count * test)) if test > 0 else 0
    while count - num_validation - num_test < 1 and num_validation + num_test > 0:
        if num_validation > num_test:
            num_validation -= 1
        else:
            num_test -= 1
    return count - num_validation - num_test, num_validation, num_test


def assign_splits(count: int, seed: int, validation: float = 0.05, test: float = 0.10) -> list[Split]:
    """The split of each row, in file order: the same count, ratios and seed always give the same split."""
    _train, num_validation, num_test = split_counts(count, validation, test)
    order = list(range(count))
    random.Random(seed).shuffle(order)
    splits = [Split.TRAIN] * count
    for index in order[:num_validation]:
        splits[index] = Split.VALIDATION
    for index in order[num_validation : num_validation + num_test]:
        splits[index] = Split.TEST
    return splits


def assign_group_splits(groups: Sequence[int], seed: int, validation: float = 0.05, test: float = 0.10) -> list[Split]:
    """The split of each row, in file order, keeping the rows of one group (the examples made from one source
    row, copies of one prompt) in one split: groups are drawn, not rows.

    The same groups, ratios and seed always give the same split. Each split gets the whole groups that fit its
    share of rows (split_counts' shares), taken in a seeded random order of the groups; one larger than the
    share (the smallest) is taken when the split would otherwise be empty. Train keeps at least one group.
    """
    members: dict[int, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    _train, num_validation, num_test = split_counts(len(groups), validation, test)
    order = list(members)
    random.Random(seed).shuffle(order)
    splits = [Split.TRAIN] * len(groups)
    left = len(order)
    for split, target in ((Split.VALIDATION, num_validation), (Split.TEST, num_test)):
        taken = 0
        for group in order:
            rows = members[group]
            if left > 1 and splits[rows[0]] == Split.TRAIN and taken + len(rows) <= target:
                for index in rows:
                    splits[index] = split
                taken += len(rows)
                left -= 1
        if target and not taken and left > 1:
            # Every group is larger than the share: the smallest one, so the split is not empty.
            rows = min((members[g] for g in order if splits[members[g][0]] == Split.TRAIN), key=len)
            for index in rows:
                splits[index] = split
            left -= 1
    return splits


class SplitHasher:
    """Identifies the exact examples in each split: two runs with the same hash were compared on the same data.

    Fed row by row as rows are stored, in storage order."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def update(self, split: Split, record: AnyRecord) -> None:
        self._digest.update(split.value.encode())
        self._digest.update(record.model_dump_json().encode())
        self._digest.update(b"\n")

    def hexdigest(self) -> str:
        return self._digest.hexdigest()

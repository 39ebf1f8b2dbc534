"""What an upload finds that does not stop a run but may spoil it: duplicates, leakage, label imbalance.

Rows stream past once (WarningCollector.add); what is kept per row is a few integers (hashes of the row, of its
prompt and of its answer) and two MinHash signatures of 128 bytes each (see similarity.py), not the row, so a
52,000-row file costs about 15 MB here. Python's hash() of strings is 64 bits: a collision between two different
rows is a one-in-10^10 event for a file that size, and would only produce a wrong warning.

Near duplicates and leakage use similarity, not equality: two texts match when at least 80% of their 3-word
shingles are shared (Jaccard similarity ≥ 0.8, after lower-casing and dropping punctuation), field by field.
"""

import re
import string
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from backend.datasets import similarity
from backend.datasets.parsing import ParsedRow
from backend.datasets.schemas import DatasetWarning
from backend.models import Split
from domain.records import AlpacaRecord, AnyRecord, ChatRecord
from domain.text import plural

MAX_LISTED_ROWS = 20
MAX_LABELS = 100  # more distinct values than this is free text, not classes: no label statistics
# Answers that look like class labels when no label column is mapped: few, short, shared by many rows.
MAX_ANSWER_LABELS = 20
MAX_ANSWER_LABEL_CHARS = 40
MIN_ROWS_FOR_ANSWER_LABELS = 20
IMBALANCE_RATIO = 3  # largest class more than 3 times the smallest
MIN_CLASS_SHARE = 0.05  # or a class under 5% of the rows


@dataclass(frozen=True)
class LeakageFix:
    """What the leakage warning tells the user to do, in the words of the page that made the dataset."""

    text: str
    action: Literal["upload_grouped", "convert_again"] | None


LEAKAGE_FIX_UPLOAD = LeakageFix(
    "Upload again with 'Keep similar prompts in one split' (group_similar), which puts every copy of a prompt in "
    "the same split; or remove the repeated prompts, or supply validation/test files without them.",
    "upload_grouped",
)
LEAKAGE_FIX_FILES = LeakageFix(
    "The split drawn by ratio already keeps similar prompts together: the repeats come from your validation/test "
    "files; remove them there and upload again.",
    None,
)
_SPLIT_CODES = {Split.TRAIN: 1, Split.VALIDATION: 2, Split.TEST: 3}
_PENDING = 0
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_ASCII_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalise(text: str) -> str:
    """Lower-cased, punctuation dropped, whitespace collapsed: "Hello,  World!" == "hello world"."""
    lowered = text.lower()
    # translate() is the fast path for ASCII text; the regex also knows Unicode punctuation (“ ” — ¿).
    stripped = lowered.translate(_ASCII_PUNCTUATION) if lowered.isascii() else _PUNCTUATION.sub("", lowered)
    return " ".join(stripped.split())


def record_parts(record: AnyRecord) -> tuple[tuple[str, ...], int]:
    """The record's texts in order, and how many of them are the prompt (the rest is the answer)."""
    if isinstance(record, ChatRecord):
        # The last message is the assistant's answer (parsing guarantees it); the turns before are the prompt.
        return tuple(f"{m.role}: {m.content}" for m in record.messages), len(record.messages) - 1
    if isinstance(record, AlpacaRecord):
        return (record.instruction, record.input, record.output), 2
    return (record.prompt, record.completion), 1


class _Finding:
    def __init__(self) -> None:
        self.count = 0
        self.rows: list[int] = []

    def add(self, row_number: int) -> None:
        self.count += 1
        if len(self.rows) < MAX_LISTED_ROWS:
            self.rows.append(row_number)


class _ClassCounter:
    """Rows per class, and the first rows of each class (to list the rare ones)."""

    def __init__(self, max_classes: int) -> None:
        self.max_classes = max_classes
        self.counts: Counter[str] = Counter()
        self.rows: dict[str, list[int]] = {}
        self.overflow = False

    def add(self, label: str, row_number: int) -> None:
        if self.overflow:
            return
        if label not in self.counts and len(self.counts) == self.max_classes:
            self.overflow = True
            return
        self.counts[label] += 1
        listed = self.rows.setdefault(label, [])
        if len(listed) < MAX_LISTED_ROWS:
            listed.append(row_number)


def similarity_fields(texts: tuple[str, ...], prompt_length: int) -> tuple[str, str, str]:
    """Two prompt texts and the answer, as similarity.py compares them field by field: (instruction, input,
    output); ("", prompt, completion); a chat's earlier turns, its last prompt turn and the answer."""
    prompt = texts[:prompt_length]
    if len(prompt) <= 2:
        first, second = ("", *prompt) if len(prompt) == 1 else prompt
    else:
        first, second = "\n".join(prompt[:-1]), prompt[-1]
    return first, second, "\n".join(texts[prompt_length:])


class WarningCollector:
    def __init__(self) -> None:
        self._exact: set[int] = set()
        self._duplicates = _Finding()
        # Per row, in storage order: for near duplicates and leakage once every row's split is known.
        self._row_numbers = array("q")
        self._is_duplicate = bytearray()
        self._prompts = array("q")
        self._answers_hashed = array("q")
        self._signatures = similarity.SignatureBuilder()
        self._prompt_signatures: similarity.Signatures | None = None
        self._row_signatures: similarity.Signatures | None = None
        self._splits = bytearray()
        self._labels = _ClassCounter(MAX_LABELS)
        self._answers: _ClassCounter | None = _ClassCounter(MAX_ANSWER_LABELS)
        self._rows = 0

    def add(self, row: ParsedRow, split: Split | None) -> None:
        """`split` None: the row's split is drawn later by ratio (see finish)."""
        texts, prompt_length = record_parts(row.record)
        normalised = tuple(normalise(text) for text in texts)
        self._rows += 1
        exact = hash(texts)
        duplicate = exact in self._exact
        if duplicate:
            self._duplicates.add(row.row_number)
        else:
            self._exact.add(exact)
        self._is_duplicate.append(duplicate)
        self._row_numbers.append(row.row_number)
        self._prompts.append(hash(normalised[:prompt_length]))
        self._answers_hashed.append(hash(normalised[prompt_length:]))
        self._signatures.add(similarity_fields(normalised, prompt_length))
        self._splits.append(_PENDING if split is None else _SPLIT_CODES[split])
        if row.label is not None:
            self._labels.add(row.label, row.row_number)
        if self._answers is not None:
            answer = texts[-1].strip()
            if len(answer) > MAX_ANSWER_LABEL_CHARS:
                self._answers = None
            else:
                self._answers.add(answer, row.row_number)
                if self._answers.overflow:
                    self._answers = None

    def label_counts(self) -> dict[str, int] | None:
        if not self._labels.counts or self._labels.overflow:
            return None
        return dict(self._labels.counts.most_common())

    def finish(self, drawn_splits: Sequence[Split], *, fix: LeakageFix = LEAKAGE_FIX_UPLOAD) -> list[DatasetWarning]:
        """Every warning, given the splits drawn by ratio for the rows added without one (in order).

        `fix`: what the leakage warning tells the user to do, in the words of the page that shows it."""
        warnings = []
        self._finish_signatures()
        if self._duplicates.count:
            count = self._duplicates.count
            warnings.append(
                DatasetWarning(
                    code="duplicates",
                    message=f"{plural(count, 'row')} {'repeats' if count == 1 else 'repeat'} an earlier row exactly. "
                    "A repeated example weighs more in training, and its copies can land in train and test at once; "
                    "remove the repeats unless that is intended.",
                    count=count,
                    rows=self._duplicates.rows,
                )
            )
        near = self._near_duplicates()
        if near.count:
            warnings.append(
                DatasetWarning(
                    code="near_duplicates",
                    message=f"{plural(near.count, 'row')} {'is' if near.count == 1 else 'are'} nearly the same as "
                    "an earlier row: at least 80% of their 3-word sequences are shared, field by field, once case, "
                    "spacing and punctuation are ignored. If they are the same example, keep one of them.",
                    count=near.count,
                    rows=near.rows,
                )
            )
        leakage = self._leakage(drawn_splits, fix)
        if leakage is not None:
            warnings.append(leakage)
        imbalance = self._imbalance()
        if imbalance is not None:
            warnings.append(imbalance)
        return warnings

    def _finish_signatures(self) -> None:
        if self._prompt_signatures is None:
            self._prompt_signatures, self._row_signatures = self._signatures.finish()

    def prompt_groups(self) -> list[int]:
        """For the rows whose split is drawn by ratio, in order: a group number shared by the rows whose prompts
        are the same or nearly the same, for a split that keeps them together."""
        self._finish_signatures()
        assert self._prompt_signatures is not None
        pending = np.frombuffer(bytes(self._splits), dtype=np.uint8) == _PENDING
        matches = similarity.earlier_match(self._prompt_signatures, pending)
        group = np.arange(len(matches))
        for index in np.flatnonzero(matches >= 0):  # in order, and a match is always earlier: its group is final
            group[index] = group[matches[index]]
        result: list[int] = group[pending].tolist()
        return result

    def _near_duplicates(self) -> _Finding:
        """Rows nearly the same as an earlier row (exact repeats are counted as duplicates instead)."""
        eligible = np.frombuffer(bytes(self._is_duplicate), dtype=np.uint8) == 0
        assert self._row_signatures is not None
        matches = similarity.earlier_match(self._row_signatures, eligible)
        found = _Finding()
        for row in np.flatnonzero(matches >= 0).tolist():
            found.add(self._row_numbers[row])
        return found

    def _leakage(self, drawn_splits: Sequence[Split], fix: LeakageFix) -> DatasetWarning | None:
        codes = bytearray(self._splits)
        drawn = iter(drawn_splits)
        for index, code in enumerate(codes):
            if code == _PENDING:
                codes[index] = _SPLIT_CODES[next(drawn)]
        split_codes = np.frombuffer(bytes(codes), dtype=np.uint8)
        train = np.flatnonzero(split_codes == 1)
        held_out = np.flatnonzero(split_codes != 1)
        assert self._prompt_signatures is not None
        partners = similarity.match_in(self._prompt_signatures, held_out, train)
        # A prompt that training pairs with several different answers is open-ended ("write a text labelled
        # positive", the inverted task's prompt): a held-out copy asks for yet another answer, not a memorised one.
        answers_per_prompt: dict[int, set[int]] = {}
        for row in train.tolist():
            answers_per_prompt.setdefault(self._prompts[row], set()).add(self._answers_hashed[row])
        leaked = _Finding()
        per_split = Counter[int]()
        for row, partner in zip(held_out.tolist(), partners.tolist(), strict=True):
            if partner < 0 or len(answers_per_prompt[self._prompts[partner]]) > 1:
                continue
            leaked.add(self._row_numbers[row])
            per_split[codes[row]] += 1
        if not leaked.count:
            return None
        one = leaked.count == 1
        return DatasetWarning(
            code="leakage",
            message=f"{leaked.count} validation/test {'example' if one else 'examples'} ({per_split[2]} in "
            f"validation, {per_split[3]} in test) {'has' if one else 'have'} the same or nearly the same prompt "
            "(at least 80% of its 3-word sequences) as a training example, so "
            f"{'its' if one else 'their'} loss and answers partly measure memorisation. " + fix.text,
            count=leaked.count,
            rows=leaked.rows,
            action=fix.action,
        )

    def _imbalance(self) -> DatasetWarning | None:
        classes, what = self._labels, "classes"
        if not classes.counts or classes.overflow:
            answers = self._answers
            if (
                answers is None
                or self._rows < MIN_ROWS_FOR_ANSWER_LABELS
                or len(answers.counts) * 5 > self._rows  # each answer must be shared by several rows
            ):
                return None
            classes, what = answers, "answers, which look like class labels,"
        counts = classes.counts
        if len(counts) < 2:
            return None
        total = sum(counts.values())
        (largest_label, largest), *_ = counts.most_common(1)
        rare = [label for label, n in counts.items() if n * IMBALANCE_RATIO < largest or n < MIN_CLASS_SHARE * total]
        if not rare:
            return None
        smallest_label = min(rare, key=lambda label: counts[label])
        smallest = counts[smallest_label]
        rows = sorted(row for label in rare for row in classes.rows[label])[:MAX_LISTED_ROWS]
        return DatasetWarning(
            code="label_imbalance",
            message=f"The {what} are unbalanced: '{largest_label}' has {plural(largest, 'row')} but '{smallest_label}' "
            f"only {smallest} ({len(rare)} of {len(counts)} classes have under a third of the largest or under 5% of "
            f"the rows). A model trained on this learns to favour '{largest_label}'; add examples of the rare "
            "classes or leave out some of the common ones.",
            count=sum(counts[label] for label in rare),
            rows=rows,
        )

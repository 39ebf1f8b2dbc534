"""Multiple-choice questions scored by log-likelihood, as lm-evaluation-harness scores them.

Each choice is a continuation of the question: the model's log-likelihood of " {choice}" after
"Question: {question}\\nAnswer:", summed over the continuation's tokens. `accuracy` (the harness's acc) takes the
choice with the highest log-likelihood; `accuracy_norm` (acc_norm) divides each by the choice's length in characters
first, so a long right answer is not beaten by a short wrong one only for having more tokens to pay for. Nothing is
generated, so the answer format the model learned does not matter: this measures what it knows.
"""

import string
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from domain.scoring.bootstrap import aggregate

LETTERS = string.ascii_uppercase  # choice i is called LETTERS[i]
MIN_CHOICES = 2
MAX_CHOICES = len(LETTERS)

ACCURACY = "accuracy"
ACCURACY_NORM = "accuracy_norm"
# Both are 0/1 per question, higher is better.
CHOICE_METRICS = {
    ACCURACY: "Share of questions whose right choice has the highest log-likelihood (lm-evaluation-harness acc).",
    ACCURACY_NORM: "The same with each log-likelihood divided by the choice's length in characters (acc_norm).",
}


@dataclass(frozen=True)
class ChoiceQuestion:
    question: str
    choices: list[str]


def context(question: str) -> str:
    return f"Question: {question}\nAnswer:"


def continuation(choice: str) -> str:
    return f" {choice}"


def chosen(logliks: Sequence[float]) -> int:
    """The choice with the highest log-likelihood; the first on a tie."""
    return int(np.argmax(logliks))


def chosen_normalised(logliks: Sequence[float], choices: Sequence[str]) -> int:
    """The choice with the highest log-likelihood per character of the choice (not counting the leading space)."""
    return int(np.argmax(np.asarray(logliks, dtype=np.float64) / [len(choice) for choice in choices]))


@dataclass(frozen=True)
class ChoiceAnswer:
    subject: str | None
    correct: int
    chosen: int
    chosen_norm: int

    @property
    def scores(self) -> dict[str, float]:
        return {ACCURACY: float(self.chosen == self.correct), ACCURACY_NORM: float(self.chosen_norm == self.correct)}


def answer(logliks: Sequence[float], choices: Sequence[str], correct: int, subject: str | None) -> ChoiceAnswer:
    return ChoiceAnswer(subject, correct, chosen(logliks), chosen_normalised(logliks, choices))


@dataclass(frozen=True)
class ScoredChoices:
    metrics: dict[str, dict[str, Any]]  # {metric: {"value", "ci_low", "ci_high"}}
    subjects: list[dict[str, Any]]  # [{"subject", "questions", "metrics"}], by subject; questions without one left out


def _metrics(answers: Sequence[ChoiceAnswer], seed: int) -> dict[str, dict[str, Any]]:
    return {name: asdict(aggregate([a.scores[name] for a in answers], seed=seed)) for name in CHOICE_METRICS}


def score_choices(answers: Sequence[ChoiceAnswer], *, seed: int) -> ScoredChoices:
    """Accuracy and accuracy_norm with 95% bootstrap intervals, over every question and per subject."""
    by_subject: dict[str, list[ChoiceAnswer]] = {}
    for item in answers:
        if item.subject is not None:
            by_subject.setdefault(item.subject, []).append(item)
    subjects = [
        {"subject": subject, "questions": len(items), "metrics": _metrics(items, seed)}
        for subject, items in sorted(by_subject.items())
    ]
    return ScoredChoices(_metrics(answers, seed), subjects)


def parse_answer(value: object, choices: int) -> int:
    """The right choice's index from an index counted from 0 (a number, or digits in a table's cell) or a letter
    (A is the first choice, either case). ValueError says what is wrong and what to write instead."""
    last = LETTERS[choices - 1]
    expected = f"give an index from 0 to {choices - 1} or a letter from A to {last}"
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected an index or a letter, got {type(value).__name__}; {expected}")
    text = value.strip() if isinstance(value, str) else str(value)
    if not text:
        raise ValueError(f"empty; {expected}")
    if text.lstrip("-").isdigit():
        index = int(text)
        if not 0 <= index < choices:
            raise ValueError(f"{index} is not a choice of {choices}; {expected}")
        return index
    if len(text) == 1 and text.upper() in LETTERS:
        index = LETTERS.index(text.upper())
        if index >= choices:
            raise ValueError(f"'{text}' is not a choice of {choices}; {expected}")
        return index
    raise ValueError(f"'{text[:40]}' is neither an index nor a letter; {expected}")

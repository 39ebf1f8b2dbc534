"""Answers that are a few labels (sentiment, yes/no, a category): accuracy, per-class figures, a confusion matrix.

Labels are compared normalised (domain.scoring.normalise): "Positive." is the label "positive".
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from domain.scoring.normalise import normalise, words

# The rule for "classification-style": every expected answer is a label of at most MAX_LABEL_WORDS words, there
# are 2 to MAX_LABELS distinct labels, and each is expected at least MIN_LABEL_COUNT times. A label seen once looks
# like a free-text answer; with more than 20 labels a confusion matrix stops being readable.
MAX_LABELS = 20
MIN_LABEL_COUNT = 2
MAX_LABEL_WORDS = 5
# The column of generated answers that are none of the labels. Normalised labels never start with punctuation,
# so no label can be spelled like this.
OTHER = "(other)"


def is_classification(expected_answers: Sequence[str]) -> bool:
    labels = [normalise(answer) for answer in expected_answers]
    counts = Counter(labels)
    return (
        2 <= len(counts) <= MAX_LABELS
        and all(label and len(words(label)) <= MAX_LABEL_WORDS for label in counts)
        and min(counts.values()) >= MIN_LABEL_COUNT
    )


@dataclass(frozen=True)
class ClassScores:
    precision: float  # of the answers that gave this label, the share that were right (0 when none gave it)
    recall: float  # of the examples expecting this label, the share answered with it
    f1: float
    support: int  # examples expecting this label


@dataclass(frozen=True)
class ClassificationReport:
    accuracy: float
    macro_f1: float  # the classes' F1 averaged, each class counting the same whatever its support
    labels: tuple[str, ...]  # the expected answers' labels, sorted: the confusion matrix's rows
    columns: tuple[str, ...]  # the labels, then OTHER
    # confusion[row][column]: examples expecting labels[row] that were answered columns[column].
    confusion: tuple[tuple[int, ...], ...]
    per_class: dict[str, ClassScores]


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def classification_report(generated: Sequence[str], expected: Sequence[str]) -> ClassificationReport:
    """Labels are the normalised expected answers; a generated answer that is none of them counts under OTHER.
    ValueError when the lists differ in length or are empty."""
    if len(generated) != len(expected):
        raise ValueError(f"{len(generated)} generated answers for {len(expected)} expected ones")
    if not expected:
        raise ValueError("no examples to report on")
    truth = [normalise(answer) for answer in expected]
    labels = tuple(sorted(set(truth)))
    label_set = set(labels)
    predicted = [answer if answer in label_set else OTHER for answer in map(normalise, generated)]
    columns = (*labels, OTHER)
    pairs = Counter(zip(truth, predicted, strict=True))
    confusion = tuple(tuple(pairs[label, column] for column in columns) for label in labels)

    per_class = {}
    for row, label in enumerate(labels):
        correct = confusion[row][row]
        support = sum(confusion[row])
        answered = sum(counts[row] for counts in confusion)  # the column: answers that gave this label
        per_class[label] = ClassScores(
            precision=_ratio(correct, answered),
            recall=_ratio(correct, support),
            f1=_ratio(2 * correct, answered + support),  # 2PR / (P + R), written so that nothing divides by 0
            support=support,
        )
    correct_total = sum(confusion[i][i] for i in range(len(labels)))
    return ClassificationReport(
        accuracy=correct_total / len(truth),
        macro_f1=sum(scores.f1 for scores in per_class.values()) / len(labels),
        labels=labels,
        columns=columns,
        confusion=confusion,
        per_class=per_class,
    )

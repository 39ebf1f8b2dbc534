"""Classic labelled data (Label, Text) as instruction examples, FLAN-style.

Each row becomes an instruction that states the task and lists the allowed labels in an OPTIONS clause
(it concentrates the model's probability on the label space), phrased with one of several paraphrased
templates for diversity. The optional inverted task asks for a text that fits a given label.
"""

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from backend.core.errors import Invalid
from backend.datasets import similarity
from backend.datasets.parsing import Table
from backend.datasets.schemas import ColumnMapping
from backend.datasets.warnings import LeakageFix, normalise
from domain.records import AlpacaRecord
from domain.text import plural

MIN_LABELS = 2
MAX_LABELS = 50
MAX_PARAPHRASES = 10

# {task} is the user's task description; {options} the OPTIONS clause. Ten phrasings, as FLAN used per task.
PARAPHRASES = (
    "{task}\n\n{options}",
    "{task} Answer with one of the options only.\n\n{options}",
    "Read the text below. {task}\n\n{options}",
    "Here is a text. {task} Choose the best option.\n\n{options}",
    "Classify the following text. {task}\n\n{options}",
    "{task} Reply with the label and nothing else.\n\n{options}",
    "Look at this text and decide: {task}\n\n{options}",
    "Task: {task}\nPick exactly one option.\n\n{options}",
    "Which option fits the text? {task}\n\n{options}",
    "Given the text, {task_lower}\n\n{options}",
)
INVERTED = (
    'Write a text for this task whose correct label is "{label}". The task: {task}',
    'Give an example of a text labelled "{label}" when asked: {task}',
)


@dataclass(frozen=True)
class LabelledRow:
    row_number: int
    text: str
    label: str


@dataclass(frozen=True)
class ConvertedExample:
    record: AlpacaRecord
    label: str
    inverted: bool
    source: int  # the index of the row it was made from


def options_clause(labels: Sequence[str]) -> str:
    return "OPTIONS:\n" + "\n".join(f"- {label}" for label in labels)


def convert(
    rows: Sequence[LabelledRow], *, task: str, paraphrases: int, inverted: bool, seed: int = 42
) -> list[ConvertedExample]:
    """One instruction example per row (a seeded choice among the first `paraphrases` templates),
    plus one inverted example per row when asked."""
    labels = sorted({row.label for row in rows})
    options = options_clause(labels)
    task = task.strip()
    task_lower = task[:1].lower() + task[1:]
    chooser = random.Random(seed)
    examples = []
    for source, row in enumerate(rows):
        template = PARAPHRASES[chooser.randrange(paraphrases)]
        instruction = template.format(task=task, task_lower=task_lower, options=options)
        examples.append(
            ConvertedExample(
                AlpacaRecord(instruction=instruction, input=row.text, output=row.label), row.label, False, source
            )
        )
        if inverted:
            prompt = INVERTED[chooser.randrange(len(INVERTED))].format(label=row.label, task=task)
            examples.append(
                ConvertedExample(AlpacaRecord(instruction=prompt, output=row.text), row.label, True, source)
            )
    return examples


def split_groups(rows: Sequence[LabelledRow], examples: Sequence[ConvertedExample]) -> tuple[int, ...]:
    """The group of each example, for a split that keeps a group in one split: the examples made from one row
    (the inverted task's answer is the text the other example classifies), and those of rows whose texts are the
    same or nearly the same (Jaccard ≥ 0.8 over 3-word shingles), so no text is in train and in test at once."""
    builder = similarity.SignatureBuilder()
    for row in rows:
        builder.add(("", normalise(row.text), ""))
    prompts, _rows = builder.finish()
    matches = similarity.earlier_match(prompts, np.ones(len(rows), dtype=bool))
    group = list(range(len(rows)))
    for index in np.flatnonzero(matches >= 0):  # a match is always earlier: its group is final
        group[index] = group[matches[index]]
    return tuple(group[example.source] for example in examples)


def read_labelled_rows(table: Table, *, label_column: str, text_column: str) -> list[LabelledRow]:
    """Rows with a text and a label; any problem is reported with its row and column."""
    columns = table.columns()
    for role, column in (("label_column", label_column), ("text_column", text_column)):
        if column not in columns:
            raise Invalid(
                f"the file has no column '{column}'; its columns: {', '.join(columns)}", field=role, columns=columns
            )
    rows: list[LabelledRow] = []
    errors: list[str] = []
    for source in table.rows():
        if source.values is None:
            errors.append(source.problem or f"{source.where}: unreadable")
            continue
        text, label = source.values.get(text_column), source.values.get(label_column)
        for column, value in ((text_column, text), (label_column, label)):
            if not isinstance(value, str) or not value.strip():
                errors.append(f"{source.where}: empty '{column}'")
        if isinstance(text, str) and text.strip() and isinstance(label, str) and label.strip():
            rows.append(LabelledRow(source.number, text.strip(), label.strip()))
    if errors:
        raise Invalid(
            f"{plural(len(errors), 'row')} cannot be converted; fix them and try again",
            field="file",
            errors=errors[:20],
        )
    labels = {row.label for row in rows}
    if len(labels) < MIN_LABELS:
        raise Invalid(
            f"'{label_column}' has {plural(len(labels), 'distinct label')}; a classification needs at least 2",
            field="label_column",
        )
    if len(labels) > MAX_LABELS:
        raise Invalid(
            f"'{label_column}' has {len(labels)} distinct labels; an OPTIONS list over {MAX_LABELS} is not a useful prompt",
            field="label_column",
        )
    return rows


def as_jsonl(examples: Sequence[ConvertedExample]) -> bytes:
    """The converted examples as an upload, so they go through the same validation, split and warnings."""
    lines = (
        json.dumps({**example.record.model_dump(exclude={"shape"}), "label": example.label}, ensure_ascii=False)
        for example in examples
    )
    return ("\n".join(lines) + "\n").encode()


LEAKAGE_FIX = LeakageFix(
    "The conversion already keeps each text's examples, and nearly identical texts, in one split: remove the "
    "repeated texts from the table and convert again.",
    "convert_again",
)
CONVERTED_MAPPING = ColumnMapping(instruction="instruction", input="input", output="output", label="label")

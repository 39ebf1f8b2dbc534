"""Classic labelled data (Label, Text) as instruction examples, FLAN-style.

Each row becomes an instruction that states the task and lists the allowed labels in an OPTIONS clause
(it concentrates the model's probability on the label space), phrased with one of several paraphrased
templates for diversity. The optional inverted task asks for a text that fits a given label.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass

from worker.training.templates import AlpacaRecord

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
    for row in rows:
        template = PARAPHRASES[chooser.randrange(paraphrases)]
        instruction = template.format(task=task, task_lower=task_lower, options=options)
        examples.append(
            ConvertedExample(AlpacaRecord(instruction=instruction, input=row.text, output=row.label), row.label, False)
        )
        if inverted:
            prompt = INVERTED[chooser.randrange(len(INVERTED))].format(label=row.label, task=task)
            examples.append(ConvertedExample(AlpacaRecord(instruction=prompt, output=row.text), row.label, True))
    return examples

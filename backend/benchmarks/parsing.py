"""Reading an uploaded multiple-choice set, question by question, with the datasets' readers underneath.

JSON objects (JSONL, a JSON array, Parquet): {"question": text, "choices": [text, ...], "answer": an index from 0 or
a letter, "subject": text (optional)}; other keys are ignored.

Tables (CSV, TSV), MMLU's layout:
- with a header naming `question` and `answer`: the choices are the columns named A, B, C, ... (or, without such
  columns, those between question and answer); `subject` is optional; other columns are ignored. Trailing empty
  choice cells leave a question fewer choices.
- without a header (MMLU's own files): question, the choices, the answer, and optionally a subject last. The first
  row decides: when its last cell is not an answer naming one of the choices before it, that cell is the subject.

A problem with one question is yielded as its message ("line 3: answer: ..."), so every bad line can be reported;
a problem with the file's layout raises FileRejected.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from backend.datasets.parsing import FileRejected, Table
from backend.datasets.parsing.readers import DelimitedTable, json_kind
from domain.scoring.choices import LETTERS, MAX_CHOICES, MIN_CHOICES, parse_answer

MAX_SUBJECT_CHARS = 200  # the column's width
HOW_MANY = f"a question needs from {MIN_CHOICES} to {MAX_CHOICES} choices"
HEADER_HINT = "name the columns question, A, B, ..., answer (and optionally subject), or leave the header out"


@dataclass(frozen=True, slots=True)
class ParsedQuestion:
    row_number: int
    question: str
    choices: list[str]
    answer: int  # the right choice's index, from 0
    subject: str | None


class _Problem(ValueError):
    """What is wrong with one field of one question: "answer: 'E' is not a choice of 4; ..."."""


def parsed_questions(table: Table) -> Iterator[ParsedQuestion | str]:
    """Every question in the file, or the message saying what is wrong with it and where."""
    if isinstance(table, DelimitedTable):
        yield from _table_questions(table)
        return
    for row in table.rows():
        if row.values is None:
            yield row.problem or f"{row.where}: unreadable"
            continue
        try:
            yield _object_question(row.number, row.values)
        except _Problem as exc:
            yield f"{row.where}: {exc}"


# --- JSON objects ---------------------------------------------------------------------------------------------


def _object_question(number: int, values: dict[str, Any]) -> ParsedQuestion:
    for key in ("question", "choices", "answer"):
        if key not in values:
            raise _Problem(f'{key}: missing; every question needs "question", "choices" and "answer"')
    question = values["question"]
    if not isinstance(question, str):
        raise _Problem(f"question: expected text, got {json_kind(question)}")
    items = values["choices"]
    if not isinstance(items, list):
        raise _Problem(
            f'choices: expected an array of texts, got {json_kind(items)}; e.g. "choices": ["Paris", "Rome"]'
        )
    _check_count(len(items), "choices")
    choices = [_choice(item, f"choices[{index}]") for index, item in enumerate(items)]
    return ParsedQuestion(
        number,
        _required(question, "question"),
        choices,
        _answer(values["answer"], len(choices)),
        _subject(values.get("subject")),
    )


def _choice(value: object, field: str) -> str:
    # Numbers are choices too ("How many legs has a spider?" [6, 8]); written as JSON writes them.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise _Problem(f"{field}: expected text, got {json_kind(value)}")
    return _required(value, field)


# --- tables -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Layout:
    question: int
    choices: list[int]
    answer: int
    subject: int | None
    names: list[str]  # what messages call each cell: the header's names, or question, A, B, ..., answer, subject
    described: str  # "the header has 7 columns", "the first row has 6 cells"


def _table_questions(table: DelimitedTable) -> Iterator[ParsedQuestion | str]:
    layout: _Layout | None = None
    first = 1  # the first data row's number: 1 after a header (numbered 0), else the first record is row 1
    for number, cells in table.records():
        if not any(cell.strip() for cell in cells):
            continue
        if layout is None:
            layout = _header_layout(cells)
            if layout is not None:
                continue
            layout = _headerless_layout(cells)
            first = 0
        where = f"row {number + 1 - first}"
        try:
            yield _table_question(number + 1 - first, cells, layout)
        except _Problem as exc:
            yield f"{where}: {exc}"


def _header_layout(cells: list[str]) -> _Layout | None:
    """The layout a header names; None when the first row is not a header: it does not name both question and
    answer (one of them alone may well be a choice's text)."""
    names = [cell.strip() for cell in cells]
    lowered = [name.lower() for name in names]
    if "question" not in lowered or "answer" not in lowered:
        return None
    question, answer = lowered.index("question"), lowered.index("answer")
    subject = lowered.index("subject") if "subject" in lowered else None
    letters = {name.upper(): index for index, name in enumerate(names) if len(name) == 1 and name.upper() in LETTERS}
    if letters:
        expected = LETTERS[: len(letters)]
        if "".join(sorted(letters)) != expected:
            raise FileRejected(
                f"the choice columns must be named A, B, C, ... without gaps: the header has "
                f"{', '.join(sorted(letters))}; rename them {', '.join(expected)}"
            )
        choices = [letters[letter] for letter in expected]
    else:
        choices = [index for index in range(question + 1, answer) if index != subject]
    if not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
        raise FileRejected(f"the header names {len(choices)} choice columns; {HOW_MANY}: {HEADER_HINT}")
    return _Layout(question, choices, answer, subject, names, f"the header has {len(cells)} columns")


def _headerless_layout(cells: list[str]) -> _Layout:
    while cells and not cells[-1].strip():
        cells = cells[:-1]  # trailing empty cells, as spreadsheets write them
    width = len(cells)
    if width < MIN_CHOICES + 2 or width > MAX_CHOICES + 3:
        raise FileRejected(
            f"row 1 has {width} cells; without a header a row is the question, {MIN_CHOICES} to {MAX_CHOICES} "
            f"choices, the answer and optionally a subject, or {HEADER_HINT.replace(', or leave the header out', '')}"
        )
    subject: int | None = None
    if not _is_answer(cells[-1], width - 2):
        if width - 3 < MIN_CHOICES or not _is_answer(cells[-2], width - 3):
            raise FileRejected(
                f"row 1: neither its last cell ('{cells[-1].strip()[:40]}') nor the one before is an answer naming "
                "one of its choices; without a header a row is the question, the choices, the answer letter and "
                f"optionally a subject, or {HEADER_HINT.replace(', or leave the header out', '')}"
            )
        subject = width - 1
    answer = width - 1 if subject is None else width - 2
    choices = list(range(1, answer))
    names = ["question", *LETTERS[: len(choices)], "answer", *(["subject"] if subject is not None else [])]
    return _Layout(0, choices, answer, subject, names, f"the first row has {width} cells")


def _is_answer(cell: str, choices: int) -> bool:
    try:
        parse_answer(cell, choices)
    except ValueError:
        return False
    return True


def _table_question(number: int, cells: list[str], layout: _Layout) -> ParsedQuestion:
    width = len(layout.names)
    if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
        cells = cells[:width]
    if len(cells) != width:
        hint = " (quote cells that contain the delimiter)" if len(cells) > width else ""
        raise _Problem(f"{len(cells)} cells but {layout.described}{hint}")
    texts = [cells[index].strip() for index in layout.choices]
    while texts and not texts[-1]:
        texts.pop()  # a question with fewer choices than the table has columns
    _check_count(len(texts), "choices")
    choices = [_required(text, _choice_name(layout, index)) for index, text in enumerate(texts)]
    subject = cells[layout.subject] if layout.subject is not None else None
    return ParsedQuestion(
        number,
        _required(cells[layout.question], layout.names[layout.question]),
        choices,
        _answer(cells[layout.answer], len(choices)),
        _subject(subject),
    )


def _choice_name(layout: _Layout, position: int) -> str:
    name = layout.names[layout.choices[position]]
    return f"choice {name}" if len(name) == 1 else name


# --- fields -----------------------------------------------------------------------------------------------------


def _required(text: str, field: str) -> str:
    stripped = text.strip()
    if not stripped:
        raise _Problem(f"{field}: empty; write its text")
    return stripped


def _check_count(count: int, field: str) -> None:
    if not MIN_CHOICES <= count <= MAX_CHOICES:
        raise _Problem(f"{field}: {count} given; {HOW_MANY}")


def _answer(value: object, choices: int) -> int:
    try:
        return parse_answer(value, choices)
    except ValueError as exc:
        raise _Problem(f"answer: {exc}") from exc


def _subject(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Problem(f"subject: expected text, got {json_kind(value)}")
    subject = value.strip()
    if len(subject) > MAX_SUBJECT_CHARS:
        raise _Problem(f"subject: {len(subject)} characters; shorten it to at most {MAX_SUBJECT_CHARS}")
    return subject or None

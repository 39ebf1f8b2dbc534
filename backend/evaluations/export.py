"""An evaluation's answers as JSONL or CSV, streamed from the database in batches. A generation evaluation's: each
example's rendered prompt, what a person wrote (instruction and input), the expected and the generated answer, and
every score. A multiple_choice evaluation's: each question with its choices, the right one, the ones picked by
log-likelihood (accuracy) and per character (accuracy_norm), whether each is right, and every choice's
log-likelihood."""

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from backend.core.db import get_sessionmaker
from backend.datasets.export import BATCH_ROWS, neutralise_formula
from backend.evaluations.multiple_choice import answer_out, answers_query
from backend.models import BenchmarkQuestion, DatasetExample, Evaluation, EvaluationKind, EvaluationPrediction
from domain.records import RECORD, instruction_and_input
from domain.scoring.choices import CHOICE_METRICS, LETTERS

TEXT_COLUMNS = ("prompt", "instruction", "input", "expected", "generated")


def _rows(evaluation_id: int) -> Iterator[dict[str, Any]]:
    query = (
        select(
            EvaluationPrediction.example_id,
            EvaluationPrediction.prompt,
            DatasetExample.record,
            EvaluationPrediction.expected,
            EvaluationPrediction.generated,
            EvaluationPrediction.scores,
        )
        .join(DatasetExample, DatasetExample.id == EvaluationPrediction.example_id)
        .where(EvaluationPrediction.evaluation_id == evaluation_id)
        .order_by(EvaluationPrediction.id)
    )
    # Its own session: the response streams after the request's session has closed.
    with get_sessionmaker()() as session:
        for example_id, prompt, record, expected, generated, scores in session.execute(
            query.execution_options(yield_per=BATCH_ROWS)
        ):
            instruction, input_text = instruction_and_input(RECORD.validate_python(record))
            yield {
                "example_id": example_id,
                "prompt": prompt,
                "instruction": instruction,
                "input": input_text,
                "expected": expected,
                "generated": generated,
                "scores": scores,
            }


def _drained(buffer: io.StringIO) -> str:
    """What the CSV writer wrote since the last call, leaving the buffer empty."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _benchmark_rows(evaluation_id: int) -> Iterator[dict[str, Any]]:
    """What /answers lists, every page of it."""
    query = answers_query(evaluation_id).order_by(BenchmarkQuestion.number)
    with get_sessionmaker()() as session:
        for row, question in session.execute(query.execution_options(yield_per=BATCH_ROWS)).tuples():
            yield answer_out(row, question).model_dump()


# Not generators themselves: they read the evaluation now, while the request's session still holds it.
def jsonl_lines(evaluation: Evaluation) -> Iterator[str]:
    multiple_choice = evaluation.kind == EvaluationKind.MULTIPLE_CHOICE
    rows = _benchmark_rows(evaluation.id) if multiple_choice else _rows(evaluation.id)
    return (json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def csv_lines(evaluation: Evaluation) -> Iterator[str]:
    if evaluation.kind == EvaluationKind.MULTIPLE_CHOICE:
        assert evaluation.benchmark_id is not None
        return _benchmark_csv_lines(evaluation.id, evaluation.benchmark_id)
    return _generation_csv_lines(evaluation.id)


def _generation_csv_lines(evaluation_id: int) -> Iterator[str]:
    """One column per score, named after its metric; text cells formula-neutralised as the dataset downloads are."""
    buffer = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for row in _rows(evaluation_id):
        scores: dict[str, float | None] = row.pop("scores")
        cells = {**row, **{column: neutralise_formula(row[column]) for column in TEXT_COLUMNS}, **scores}
        if writer is None:
            # Every answer of an evaluation is scored by the same metrics: the first one names the columns.
            writer = csv.DictWriter(buffer, fieldnames=list(cells), extrasaction="ignore", lineterminator="\r\n")
            writer.writeheader()
        writer.writerow(cells)
        yield _drained(buffer)
    if writer is None:  # nothing answered yet: the header alone
        yield ",".join(("example_id", *TEXT_COLUMNS)) + "\r\n"


def _benchmark_csv_lines(evaluation_id: int, benchmark_id: int) -> Iterator[str]:
    """The MMLU layout, one column per choice named by its letter (as many as the widest question has), then the
    right choice and the picked ones as letters, accuracy and accuracy_norm (1 when right), and each choice's
    log-likelihood in loglik_A, loglik_B...; text cells formula-neutralised as the dataset downloads are."""
    widest = select(func.max(func.json_array_length(BenchmarkQuestion.choices))).where(
        BenchmarkQuestion.benchmark_id == benchmark_id
    )
    with get_sessionmaker()() as session:
        letters = LETTERS[: session.scalar(widest) or 0]
    loglik_columns = [f"loglik_{letter}" for letter in letters]
    fieldnames = [
        "question_id",
        "number",
        "subject",
        "question",
        *letters,
        "correct",
        "chosen",
        "chosen_norm",
        *CHOICE_METRICS,
        *loglik_columns,
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fieldnames, lineterminator="\r\n")
    writer.writeheader()
    yield _drained(buffer)
    for row in _benchmark_rows(evaluation_id):
        writer.writerow(
            {
                "question_id": row["question_id"],
                "number": row["number"],
                "subject": neutralise_formula(row["subject"] or ""),
                "question": neutralise_formula(row["question"]),
                **{letter: neutralise_formula(choice) for letter, choice in zip(letters, row["choices"], strict=False)},
                **{column: LETTERS[row[column]] for column in ("correct", "chosen", "chosen_norm")},
                **row["scores"],
                **dict(zip(loglik_columns, row["logliks"], strict=False)),
            }
        )
        yield _drained(buffer)

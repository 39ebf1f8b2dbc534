"""An evaluation's answers as JSONL or CSV, streamed from the database in batches: each example's rendered prompt,
what a person wrote (instruction and input), the expected and the generated answer, and every score."""

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from backend.core.db import get_sessionmaker
from backend.datasets.export import BATCH_ROWS, neutralise_formula
from backend.models import DatasetExample, EvaluationPrediction
from domain.records import RECORD, instruction_and_input

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


def jsonl_lines(evaluation_id: int) -> Iterator[str]:
    for row in _rows(evaluation_id):
        yield json.dumps(row, ensure_ascii=False) + "\n"


def csv_lines(evaluation_id: int) -> Iterator[str]:
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
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if writer is None:  # nothing answered yet: the header alone
        yield ",".join(("example_id", *TEXT_COLUMNS)) + "\r\n"

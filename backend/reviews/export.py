"""An evaluation's reviews with their answers as JSONL or CSV, streamed from the database in batches: one row per
review (an answer reviewed by two people is two rows)."""

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, select

from backend.core.db import get_sessionmaker
from backend.datasets.export import BATCH_ROWS, neutralise_formula
from backend.models import DatasetExample, EvaluationPrediction, Review, User
from domain.records import RECORD, instruction_and_input

COLUMNS = (
    "example_id",
    "instruction",
    "input",
    "expected",
    "generated",
    "verdict",
    "score",
    "tags",
    "note",
    "corrected_answer",
    "reviewer",
    "updated_at",
)
TEXT_COLUMNS = ("instruction", "input", "expected", "generated", "tags", "note", "corrected_answer", "reviewer")


def _rows(evaluation_id: int) -> Iterator[dict[str, Any]]:
    query = (
        select(Review, User.name, DatasetExample.record, EvaluationPrediction.expected, EvaluationPrediction.generated)
        .join(User, User.id == Review.reviewer_id)
        .join(DatasetExample, DatasetExample.id == Review.example_id)
        .join(
            EvaluationPrediction,
            and_(
                EvaluationPrediction.evaluation_id == Review.evaluation_id,
                EvaluationPrediction.example_id == Review.example_id,
            ),
        )
        .where(Review.evaluation_id == evaluation_id)
        .order_by(EvaluationPrediction.id, Review.id)
    )
    # Its own session: the response streams after the request's session has closed.
    with get_sessionmaker()() as session:
        for review, reviewer, record, expected, generated in session.execute(
            query.execution_options(yield_per=BATCH_ROWS)
        ):
            instruction, input_text = instruction_and_input(RECORD.validate_python(record))
            yield {
                "example_id": review.example_id,
                "instruction": instruction,
                "input": input_text,
                "expected": expected,
                "generated": generated,
                "verdict": review.verdict.value,
                "score": review.score,
                "tags": review.tags,
                "note": review.note,
                "corrected_answer": review.corrected_answer,
                "reviewer": reviewer,
                "updated_at": review.updated_at.isoformat(),
            }


def jsonl_lines(evaluation_id: int) -> Iterator[str]:
    for row in _rows(evaluation_id):
        yield json.dumps(row, ensure_ascii=False) + "\n"


def csv_lines(evaluation_id: int) -> Iterator[str]:
    """Tags joined by '; '; text cells formula-neutralised as the dataset downloads are."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in _rows(evaluation_id):
        row["tags"] = "; ".join(row["tags"])
        writer.writerow({**row, **{column: neutralise_formula(row[column] or "") for column in TEXT_COLUMNS}})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()  # the header, when there is no review

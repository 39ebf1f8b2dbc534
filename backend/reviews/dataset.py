"""A new version of an evaluation's dataset made from its reviews: corrected answers, and optionally answers
reviewed as correct, become the examples' outputs; every example keeps its split (a test example stays in test).

The new version goes through the upload's own path (validation, warnings, the split hash, the token count), as a
JSONL file of the records in the original's shape, with each row's split given."""

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.errors import Invalid
from backend.core.storage import Storage
from backend.datasets import service as datasets
from backend.models import (
    Dataset,
    DatasetExample,
    Evaluation,
    EvaluationKind,
    EvaluationPrediction,
    Review,
    ReviewVerdict,
    Split,
    User,
)
from backend.reviews.schemas import ChangedExampleOut, ReviewDatasetPreview, ReviewDatasetRequest
from domain.records import RECORD, AlpacaRecord, AnyRecord, ChatRecord, Message, final_answer, instruction_and_input

# The preview lists this many changed examples (its counts cover them all).
PREVIEW_CHANGED = 500


@dataclass(frozen=True)
class _Row:
    example: DatasetExample
    record: AnyRecord
    reason: str | None  # corrected, approved, or None: unchanged
    before: str


def with_output(record: AnyRecord, output: str) -> AnyRecord:
    """The record with a new expected answer: an Alpaca output, a completion, or a chat's last assistant turn."""
    if isinstance(record, AlpacaRecord):
        return record.model_copy(update={"output": output})
    if isinstance(record, ChatRecord):
        last = max(i for i, message in enumerate(record.messages) if message.role == "assistant")
        messages = list(record.messages)
        messages[last] = Message(role="assistant", content=output)
        return record.model_copy(update={"messages": tuple(messages)})
    return record.model_copy(update={"completion": output})


def _rows(session: Session, evaluation: Evaluation, request: ReviewDatasetRequest) -> tuple[list[_Row], int]:
    """Every example of the dataset in file order, its output replaced where a review says so; and how many were
    dropped (drop_wrong)."""
    if evaluation.kind != EvaluationKind.GENERATION or evaluation.dataset_id is None:
        raise Invalid(f"evaluation {evaluation.id} has no dataset examples to turn into data", field="evaluation_id")
    # The latest review of each example wins, whoever wrote it.
    latest: dict[int, Review] = {}
    for reviewed in session.scalars(
        select(Review).where(Review.evaluation_id == evaluation.id).order_by(Review.updated_at, Review.id)
    ):
        latest[reviewed.example_id] = reviewed
    generated = {
        example_id: answer
        for example_id, answer in session.execute(
            select(EvaluationPrediction.example_id, EvaluationPrediction.generated).where(
                EvaluationPrediction.evaluation_id == evaluation.id
            )
        )
    }
    rows, dropped = [], 0
    examples = session.scalars(
        select(DatasetExample).where(DatasetExample.dataset_id == evaluation.dataset_id).order_by(DatasetExample.id)
    )
    for example in examples:
        record = RECORD.validate_python(example.record)
        before = final_answer(record)
        review: Review | None = latest.get(example.id)
        after, reason = before, None
        if review is not None and review.corrected_answer is not None:
            after, reason = review.corrected_answer, "corrected"
        elif review is not None and review.verdict == ReviewVerdict.CORRECT and request.use_approved_answers:
            after, reason = generated[example.id], "approved"
        elif review is not None and review.verdict == ReviewVerdict.WRONG and request.drop_wrong:
            dropped += 1
            continue
        if after == before:
            reason = None
        rows.append(_Row(example, with_output(record, after) if reason else record, reason, before))
    return rows, dropped


def preview(session: Session, evaluation: Evaluation, request: ReviewDatasetRequest) -> ReviewDatasetPreview:
    rows, dropped = _rows(session, evaluation, request)
    changed = [row for row in rows if row.reason is not None]
    return ReviewDatasetPreview(
        rows=len(rows),
        changed=[
            ChangedExampleOut(
                example_id=row.example.id,
                split=row.example.split,
                instruction=instruction_and_input(row.record)[0],
                before=row.before,
                after=final_answer(row.record),
                reason=row.reason,  # type: ignore[arg-type]  # corrected or approved
            )
            for row in changed[:PREVIEW_CHANGED]
        ],
        dropped=dropped,
    )


def _jsonl(rows: list[_Row]) -> Iterator[bytes]:
    for row in rows:
        line: dict[str, Any] = row.record.model_dump(mode="json", exclude={"shape"})
        if row.example.label is not None:
            line["label"] = row.example.label
        yield (json.dumps(line, ensure_ascii=False) + "\n").encode()


def create(
    session: Session, storage: Storage, user: User, evaluation: Evaluation, request: ReviewDatasetRequest
) -> Dataset:
    rows, _dropped = _rows(session, evaluation, request)
    original = session.get_one(Dataset, evaluation.dataset_id)
    options = datasets.UploadOptions(
        name=request.name,
        shape=original.shape,  # type: ignore[arg-type]  # stored from ShapeName
        template=None if original.template == "custom" else original.template,  # type: ignore[arg-type]
        splits=tuple(Split(row.example.split) for row in rows),
        derived_from_id=original.id,
        seed=original.split_seed,
    )
    upload = datasets.UploadedFile(f"{request.name}.jsonl", io.BytesIO(b"".join(_jsonl(rows))))
    dataset = datasets.create_dataset(session, user, storage, options, upload)
    if original.template == "custom":  # an upload takes no custom template: set after, as on the dataset's page
        dataset.template, dataset.custom_template = original.template, original.custom_template
    return dataset

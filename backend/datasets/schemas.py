from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from backend.core.errors import ErrorBody, Invalid
from backend.models import Split
from domain.records import Record
from domain.templates import TemplateName

ShapeName = Literal["alpaca", "prompt_completion", "chat"]
ShapeChoice = Literal["auto", "alpaca", "prompt_completion", "chat"]

_SHAPE_OF_FIELD: dict[str, ShapeName] = {
    "instruction": "alpaca",
    "input": "alpaca",
    "output": "alpaca",
    "prompt": "prompt_completion",
    "completion": "prompt_completion",
    "messages": "chat",
}
_Column = Field(None, min_length=1, max_length=500)


class ColumnMapping(BaseModel):
    """Field → the file's column. The fields of one shape, plus optionally the label column."""

    model_config = ConfigDict(extra="forbid")

    instruction: str | None = _Column
    input: str | None = _Column
    output: str | None = _Column
    prompt: str | None = _Column
    completion: str | None = _Column
    messages: str | None = _Column
    label: str | None = Field(None, min_length=1, max_length=500, description="The class column, for statistics.")

    @model_validator(mode="after")
    def _one_shape(self) -> "ColumnMapping":
        shapes = {_SHAPE_OF_FIELD[name] for name in self.fields() if name != "label"}
        if len(shapes) > 1:
            raise ValueError(
                "it mixes the fields of different shapes; map instruction/input/output, prompt/completion or messages"
            )
        return self

    def fields(self) -> dict[str, str]:
        return {name: column for name, column in self.model_dump().items() if column is not None}

    @classmethod
    def from_form(cls, raw: str | None) -> "ColumnMapping | None":
        """The form field's JSON text; Invalid naming column_mapping when it is not a mapping we can use."""
        if raw is None or not raw.strip():
            return None
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            name = ".".join(str(part) for part in error["loc"])
            if error["type"] == "json_invalid":
                message = f"column_mapping is not valid JSON ({error['ctx']['error']})"
            elif error["type"] == "extra_forbidden":
                message = (
                    f"column_mapping: '{name}' is not a field. Keys are fields (instruction, input, output, "
                    'prompt, completion, messages, label), values your columns: {"instruction": "Text"}'
                )
            elif error["type"] == "value_error":
                message = f"column_mapping: {error['ctx']['error']}"
            elif error["type"] == "model_type":
                message = 'column_mapping must be a JSON object such as {"instruction": "Text", "output": "Label"}'
            else:
                message = f"column_mapping: {name + ': ' if name else ''}{error['msg']}"
            raise Invalid(message, field="column_mapping") from exc


class DatasetWarning(BaseModel):
    code: str = Field(description="duplicates, near_duplicates, leakage or label_imbalance")
    message: str = Field(description="What was found, with counts, and what to do about it.")
    count: int = Field(description="How many rows the warning concerns.")
    rows: list[int] = Field(description="The first of those rows (row_number), at most 20.")
    action: Literal["upload_grouped", "convert_again"] | None = Field(
        None,
        description="What fixes it, for a button: upload again with group_similar, or convert the table again.",
    )


class DatasetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    format: str = Field(description="The uploaded file's format: jsonl, json, csv, tsv or parquet.")
    shape: ShapeName
    template: TemplateName
    custom_template: str | None
    column_mapping: dict[str, str] | None = Field(
        description="Field → column as used, when the upload gave a column_mapping; null when detected."
    )
    num_rows: int
    num_train: int
    num_validation: int
    num_test: int
    num_dropped: int = Field(description="Invalid rows left out because the upload asked for drop_invalid.")
    split_seed: int
    split_ratios: dict[str, float] | None = Field(
        description="The fractions of the uploaded file drawn into each split. A split supplied as its own file "
        "is absent (its share stays in train); null when validation and test both came as files."
    )
    split_hash: str
    label_counts: dict[str, int] | None = Field(
        description="Rows per class when a label column is mapped (or a column is called label), most common "
        "first; null without one, or with more than 100 distinct labels."
    )
    warnings: list[DatasetWarning]
    derived_from_id: int | None = Field(
        None, description="The dataset this one is a new version of (made from reviews); null for an upload."
    )
    created_at: datetime
    archived_at: datetime | None = Field(
        None, description="When it was archived: hidden from the list (include_archived shows it) and from new runs."
    )

    @field_validator("warnings", mode="before")
    @classmethod
    def _stored_warnings(cls, value: Any) -> Any:
        # Stored as {"items": [...]} in a JSON column.
        if value is None:
            return []
        return value.get("items", []) if isinstance(value, dict) else value


class ExampleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: int = Field(
        description="The example's number in its dataset, from 1, in file order (the main file, then a validation "
        "file, then a test file): what the token preview's `example_number` and the page's ?example= name."
    )
    row_number: int
    split: Split
    record: Record
    label: str | None


class HistogramOut(BaseModel):
    edges: list[int] = Field(description="Bin edges: bin i counts lengths in [edges[i], edges[i+1]).")
    counts: list[int]


class TokenStatsOut(BaseModel):
    status: Literal["ready"]
    num_examples: int
    max: int
    mean: float
    p50: float
    p95: float
    num_truncated: int = Field(description="Examples longer than max_seq_length: their ends are never trained on.")
    histogram: HistogramOut


class TokenStatsPending(BaseModel):
    status: Literal["pending"]
    num_examples: int = Field(description="Examples being counted.")
    waiting_for_worker: bool = Field(
        description="No worker has started counting yet: it needs a worker of the light queue to be running."
    )


class DatasetUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    archived: bool | None = Field(
        None,
        description="true: archive (hidden from the list and from new runs; runs that used it keep it); false: unarchive.",
    )
    template: TemplateName | None = Field(None, description="The default prompt template for runs.")
    custom_template: str | None = Field(
        None, max_length=50_000, description="The Jinja template used when template is 'custom'."
    )


class DatasetInUseBody(ErrorBody):
    run_ids: list[int] = Field(description="The runs that trained on the dataset or evaluated on it.")

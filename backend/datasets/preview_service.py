"""Templates, the token-by-token preview, token statistics and template changes of a dataset.

Everything is computed by the trainer's own code (worker.training.templates renders, worker.training.tokenize
tokenises and masks) with the base model's tokenizer.json, through the `tokenizers` library: what the preview
shows is what the trainer trains on, and the API never imports transformers.
"""

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session
from tokenizers import Tokenizer

from backend.base_models.service import resolve_base_model
from backend.core.config import get_settings
from backend.core.errors import Conflict, Invalid, NotFound
from backend.models import Dataset, DatasetExample
from worker.training.base_models import read_chat_template
from worker.training.config import TrainingConfig
from worker.training.templates import (
    TEMPLATE_DESCRIPTIONS,
    AnyRecord,
    Record,
    RenderedExample,
    TemplateContext,
    TemplateName,
    TemplateRenderError,
    render,
)
from worker.training.tokenize import Reason, load_tokenizer, token_lengths, tokenize_rendered

RECORD: TypeAdapter[AnyRecord] = TypeAdapter(Record)
MAX_SEQ_LENGTH_DEFAULT: int = TrainingConfig.model_fields["max_seq_length"].default
HISTOGRAM_BINS = 20
# Validating a template renders every example; a slow custom template must not hold the request for long.
VALIDATION_SECONDS = 20.0
MAX_ERRORS = 20


class TemplateOut(BaseModel):
    name: TemplateName
    description: str


class PreviewRequest(BaseModel):
    example_id: int = Field(description="The example to show, from GET /api/datasets/{id}/examples.")
    base_model: str = Field(min_length=1, description="A base model's name, as GET /api/models lists it.")
    template: TemplateName | None = Field(None, description="Empty: the dataset's template.")
    custom_template: str | None = Field(
        None, max_length=50_000, description="The Jinja template when template is 'custom'. Empty: the dataset's."
    )
    max_seq_length: int = Field(MAX_SEQ_LENGTH_DEFAULT, ge=16, le=32768, description="As the run's max_seq_length.")
    completion_only_loss: bool = True


class TokenOut(BaseModel):
    id: int
    text: str = Field(description="The characters the token stands for; all tokens' texts together give `text`.")
    trained: bool = Field(description="A target of the loss.")
    reason: Reason | None = Field(
        description="Why it is not trained: 'prompt' (masked by completion-only loss) or 'truncated' (past "
        "max_seq_length). null: trained."
    )


class PreviewOut(BaseModel):
    text: str = Field(description="The training text: the template's output with the BOS/eos the tokenizer adds.")
    tokens: list[TokenOut] = Field(description="Every token, those cut by truncation included.")
    num_tokens: int = Field(description="Tokens the trainer sees (at most max_seq_length).")
    truncated: bool
    num_tokens_before_truncation: int


class HistogramOut(BaseModel):
    edges: list[int] = Field(description="Bin edges: bin i counts lengths in [edges[i], edges[i+1]).")
    counts: list[int]


class TokenStatsOut(BaseModel):
    num_examples: int
    max: int
    mean: float
    p50: float
    p95: float
    num_truncated: int = Field(description="Examples longer than max_seq_length: their ends are never trained on.")
    histogram: HistogramOut


class DatasetUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    template: TemplateName | None = Field(None, description="The default prompt template for runs.")
    custom_template: str | None = Field(
        None, max_length=50_000, description="The Jinja template used when template is 'custom'."
    )


def list_templates() -> list[TemplateOut]:
    return [TemplateOut(name=name, description=text) for name, text in TEMPLATE_DESCRIPTIONS.items()]


# Tokenizers of base models


@dataclass(frozen=True)
class ModelTokenizer:
    tokenizer: Tokenizer
    eos_token: str
    chat_template: str | None


@lru_cache(maxsize=8)
def _load_model_tokenizer(directory: str, _modified_ns: int) -> ModelTokenizer:
    # Keyed by the file's modification time too, so a model converted again is read again.
    tokenizer, eos_token = load_tokenizer(directory)
    return ModelTokenizer(tokenizer, eos_token, read_chat_template(directory))


def model_tokenizer(session: Session, base_model: str) -> ModelTokenizer:
    entry = resolve_base_model(session, base_model)
    if entry.source == "hub":
        raise Invalid(
            f"token preview needs a local copy of the model: {base_model} is a hub id; register its local directory",
            field="base_model",
        )
    if entry.source == "bundled":
        directory = get_settings().models_dir / entry.name
        if not (directory / "tokenizer.json").is_file():
            # Converting it needs transformers, which only the worker has.
            raise Conflict(
                "the base model is not prepared yet: `make up` prepares it, or start a worker", field="base_model"
            )
    else:
        directory = Path(entry.location)
    tokenizer_file = directory / "tokenizer.json"
    if not tokenizer_file.is_file():
        raise Invalid(
            f"{directory} has no tokenizer.json: the preview needs a fast (tokenizers) tokenizer", field="base_model"
        )
    try:
        return _load_model_tokenizer(str(directory), tokenizer_file.stat().st_mtime_ns)
    except (OSError, ValueError) as exc:
        raise Invalid(f"the tokenizer of {base_model} cannot be read: {exc}", field="base_model") from exc


# Rendering


def _template_field(template: TemplateName) -> str:
    return "custom_template" if template == "custom" else "template"


def _choose_template(
    dataset: Dataset, template: TemplateName | None, custom_template: str | None
) -> tuple[TemplateName, str | None]:
    chosen: TemplateName = template or dataset.template  # type: ignore[assignment]  # stored from TemplateName
    if chosen not in TEMPLATE_DESCRIPTIONS:
        raise Invalid(f"unknown template {chosen!r}", field="template")
    return chosen, custom_template or dataset.custom_template


def _examples(session: Session, dataset: Dataset) -> Iterator[tuple[int, AnyRecord]]:
    rows = session.execute(
        select(DatasetExample.row_number, DatasetExample.record)
        .where(DatasetExample.dataset_id == dataset.id)
        .order_by(DatasetExample.row_number)
    )
    for row_number, record in rows:
        yield row_number, RECORD.validate_python(record)


def render_all(
    session: Session, dataset: Dataset, template: TemplateName, context: TemplateContext
) -> list[RenderedExample]:
    """Every example rendered, or a 422 naming the first row that fails (and up to 20 in `errors`)."""
    deadline = time.monotonic() + VALIDATION_SECONDS
    rendered: list[RenderedExample] = []
    errors: list[str] = []
    for row_number, record in _examples(session, dataset):
        try:
            rendered.append(render(template, record, context))
        except TemplateRenderError as exc:
            errors.append(f"row {row_number}: {exc}")
            if len(errors) >= MAX_ERRORS:
                break
        if time.monotonic() > deadline:
            raise Invalid(
                f"the template takes too long: over {VALIDATION_SECONDS:g} s to render the dataset",
                field=_template_field(template),
            )
    if errors:
        raise Invalid(errors[0], field=_template_field(template), errors=errors)
    return rendered


# Preview and statistics


def preview_example(session: Session, dataset: Dataset, request: PreviewRequest) -> PreviewOut:
    example = session.get(DatasetExample, request.example_id)
    if example is None or example.dataset_id != dataset.id:
        raise NotFound(f"example {request.example_id} not found in dataset {dataset.id}", field="example_id")
    template, custom_template = _choose_template(dataset, request.template, request.custom_template)
    model = model_tokenizer(session, request.base_model)
    context = TemplateContext(chat_template=model.chat_template, custom_template=custom_template)
    try:
        rendered = render(template, RECORD.validate_python(example.record), context)
    except TemplateRenderError as exc:
        raise Invalid(f"row {example.row_number}: {exc}", field=_template_field(template)) from exc
    tokenized = tokenize_rendered(
        model.tokenizer,
        rendered,
        eos_token=model.eos_token,
        max_length=request.max_seq_length,
        completion_only_loss=request.completion_only_loss,
    )
    tokens = [TokenOut(id=t.id, text=t.text, trained=t.trained, reason=t.reason) for t in tokenized.tokens]
    return PreviewOut(
        text="".join(t.text for t in tokens),
        tokens=tokens,
        num_tokens=tokenized.num_tokens,
        truncated=tokenized.truncated,
        num_tokens_before_truncation=tokenized.num_tokens_before_truncation,
    )


def _percentile(ordered: Sequence[int], share: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * share
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _bin_width(upper: int) -> int:
    """A round width (1, 2 or 5 times a power of ten) giving at most HISTOGRAM_BINS bins up to `upper`."""
    target = max(1.0, upper / HISTOGRAM_BINS)
    magnitude = 10 ** math.floor(math.log10(target))
    for step in (1, 2, 5, 10):
        if step * magnitude >= target:
            return int(step * magnitude)
    return int(10 * magnitude)  # pragma: no cover


def histogram(lengths: Sequence[int]) -> HistogramOut:
    longest = max(lengths, default=0)
    width = _bin_width(longest + 1)
    bins = longest // width + 1
    counts = [0] * bins
    for length in lengths:
        counts[length // width] += 1
    return HistogramOut(edges=[i * width for i in range(bins + 1)], counts=counts)


def token_stats(
    session: Session, dataset: Dataset, *, base_model: str, template: TemplateName | None, max_seq_length: int
) -> TokenStatsOut:
    chosen, custom_template = _choose_template(dataset, template, None)
    model = model_tokenizer(session, base_model)
    context = TemplateContext(chat_template=model.chat_template, custom_template=custom_template)
    rendered = render_all(session, dataset, chosen, context)
    lengths = sorted(token_lengths(model.tokenizer, rendered, eos_token=model.eos_token))
    return TokenStatsOut(
        num_examples=len(lengths),
        max=max(lengths, default=0),
        mean=sum(lengths) / len(lengths) if lengths else 0.0,
        p50=_percentile(lengths, 0.5),
        p95=_percentile(lengths, 0.95),
        num_truncated=sum(1 for length in lengths if length > max_seq_length),
        histogram=histogram(lengths),
    )


# Changing a dataset


def update_dataset(session: Session, dataset: Dataset, update: DatasetUpdate) -> Dataset:
    """Rename, or change the default template: a new template is validated by rendering every example.

    The model's own template depends on the base model, chosen only when a run starts: it is checked then.
    """
    template: TemplateName = update.template or dataset.template  # type: ignore[assignment]
    custom_template = dataset.custom_template
    if "custom_template" in update.model_fields_set:
        custom_template = update.custom_template if update.custom_template and update.custom_template.strip() else None
    changed = template != dataset.template or custom_template != dataset.custom_template
    if template == "custom" and custom_template is None:
        raise Invalid("the custom template is empty: write one, or pick another template", field="custom_template")
    if changed and template != "model":
        render_all(session, dataset, template, TemplateContext(custom_template=custom_template))
    if update.name is not None:
        dataset.name = update.name
    dataset.template = template
    dataset.custom_template = custom_template
    session.flush()
    return dataset

"""A dataset's examples rendered and tokenised exactly as the trainer does, for the API's preview and statistics.

The trainer's own code does the work (domain.templates renders, domain.tokenize tokenises)
with the base model's tokenizer.json through the `tokenizers` library: only tokenizers and Jinja, never torch or
transformers.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from tokenizers import Tokenizer

from backend.base_models.service import find_base_model, local_directory
from backend.core.errors import Conflict, Invalid, Unavailable
from backend.models import Dataset, DatasetExample
from domain.catalog import read_chat_template
from domain.records import RECORD, AnyRecord
from domain.sandbox import SandboxBusy
from domain.templates import (
    TEMPLATE_DESCRIPTIONS,
    DatasetRenderError,
    RenderedExample,
    TemplateContext,
    TemplateName,
    render_rows,
    template_field,
)
from domain.tokenize import load_tokenizer

# Validating a template renders every example; a slow custom template must not hold a request for long.
VALIDATION_SECONDS = 20.0


# Tokenizers of base models


@dataclass(frozen=True)
class ModelTokenizer:
    tokenizer: Tokenizer
    eos_token: str
    chat_template: str | None


@dataclass(frozen=True)
class TokenizerFile:
    base_model: str  # the registered name
    directory: Path

    @property
    def version(self) -> str:
        """Changes when tokenizer.json is written again (a model converted again): counts made before are stale."""
        stat = (self.directory / "tokenizer.json").stat()
        return f"{stat.st_size}-{stat.st_mtime_ns}"


@lru_cache(maxsize=8)
def _load_model_tokenizer(directory: str, _version: str) -> ModelTokenizer:
    # Keyed by the file's version too, so a model converted again is read again.
    tokenizer, eos_token = load_tokenizer(directory)
    return ModelTokenizer(tokenizer, eos_token, read_chat_template(directory))


def tokenizer_file(session: Session, base_model: str) -> TokenizerFile:
    """Where the base model's tokenizer.json is, or the error that says why it cannot be used here."""
    entry = find_base_model(session, base_model)
    directory = local_directory(entry, "token preview")
    if entry.source == "bundled" and not (directory / "tokenizer.json").is_file():
        # Converting it needs transformers, which only the training worker has.
        raise Conflict(
            "the base model is not prepared yet: `make up` prepares it, or start a worker", field="base_model"
        )
    if not (directory / "tokenizer.json").is_file():
        raise Invalid(
            f"{directory} has no tokenizer.json: the preview needs a fast (tokenizers) tokenizer", field="base_model"
        )
    return TokenizerFile(entry.name, directory)


def model_tokenizer(session: Session, base_model: str) -> ModelTokenizer:
    found = tokenizer_file(session, base_model)
    try:
        return _load_model_tokenizer(str(found.directory), found.version)
    except (OSError, ValueError) as exc:
        raise Invalid(f"the tokenizer of {base_model} cannot be read: {exc}", field="base_model") from exc


# Rendering


def choose_template(
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


def render_checked(
    template: TemplateName, rows: Iterable[tuple[int, AnyRecord]], context: TemplateContext, *, seconds: float
) -> list[RenderedExample]:
    """The rows rendered, or a 422 naming the first row that fails (and up to 20 in `errors`), or a 503 when every
    sandbox for custom templates is busy."""
    try:
        return render_rows(template, rows, context, seconds=seconds)
    except DatasetRenderError as exc:
        raise Invalid(exc.errors[0], field=template_field(template), errors=exc.errors) from exc
    except SandboxBusy as exc:
        raise Unavailable(
            "too many custom templates are being rendered right now: try again in a few seconds",
            field=template_field(template),
        ) from exc


def render_all(
    session: Session,
    dataset: Dataset,
    template: TemplateName,
    context: TemplateContext,
    *,
    seconds: float = VALIDATION_SECONDS,
) -> list[RenderedExample]:
    return render_checked(template, _examples(session, dataset), context, seconds=seconds)

"""Storing uploaded datasets: stream to storage, validate every row, split, insert in one transaction.

An upload is read twice, never held: the first pass validates every row and counts them (the split needs
the count, and a rejected upload must store nothing), the second re-reads the file and inserts the rows
in batches. Memory stays flat however long the file is (one row, one batch of 2,000, and a few integers
per row for the warnings); the price is parsing twice, which costs less than holding 500 MB of rows.
"""

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from backend.auth.ownership import can_see, owned_by
from backend.core.config import get_settings
from backend.core.errors import Conflict, Invalid, NotFound, StudioError, TooLarge
from backend.core.storage import Storage
from backend.datasets import token_stats_service
from backend.datasets.parsing import (
    FIELD_NAMES,
    DecodedTooLarge,
    FieldMap,
    FileRejected,
    Limits,
    MappingError,
    ParsedRow,
    Table,
    open_table,
    parsed_rows,
    resolve_fields,
)
from backend.datasets.rendering import render_all
from backend.datasets.schemas import ColumnMapping, DatasetInUseBody, DatasetUpdate, ShapeChoice
from backend.datasets.splitting import (
    DEFAULT_SEED,
    MAX_SEED,
    SplitHasher,
    SplitRatios,
    assign_group_splits,
    assign_splits,
)
from backend.datasets.warnings import LEAKAGE_FIX_FILES, LEAKAGE_FIX_UPLOAD, LeakageFix, WarningCollector
from backend.models import Dataset, DatasetExample, Evaluation, Run, Split, User, utcnow
from domain.records import AlpacaRecord, AnyRecord, ChatRecord
from domain.templates import DEFAULT_TEMPLATES, TemplateContext, TemplateName, TemplateRenderError, render
from domain.text import plural

CHUNK_BYTES = 1024 * 1024
INSERT_BATCH_ROWS = 2000
MAX_REPORTED_ERRORS = 20
MIN_EXAMPLES = 10  # enough for one validation and one test row and some to train on


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content: BinaryIO


@dataclass(frozen=True)
class UploadOptions:
    name: str
    shape: ShapeChoice = "auto"
    column_mapping: ColumnMapping | None = None
    drop_invalid: bool = False
    ratios: SplitRatios = field(default_factory=SplitRatios)
    seed: int = DEFAULT_SEED
    template: TemplateName | None = None
    # Split by groups rather than rows (see splitting.assign_group_splits): rows with similar prompts ...
    group_similar: bool = False
    # ... or given groups, one per row of the main file (a conversion's source rows).
    groups: tuple[int, ...] | None = None
    leakage_fix: LeakageFix | None = None  # the leakage warning's advice, in the words of the page that uploads
    # Each row's split given, one per row of the main file (a new version of a dataset keeps its examples' splits).
    splits: tuple[Split, ...] | None = None
    derived_from_id: int | None = None  # the dataset this upload is a new version of


class _LimitedReader:
    """Counts bytes while storage copies the upload, and stops at the size limit."""

    def __init__(self, source: BinaryIO, limit: int, field: str) -> None:
        self.source = source
        self.limit = limit
        self.field = field
        self.total = 0

    def read(self, size: int = CHUNK_BYTES) -> bytes:
        chunk = self.source.read(size if size > 0 else CHUNK_BYTES)
        self.total += len(chunk)
        if self.total > self.limit:
            raise TooLarge(f"the file is larger than the {_megabytes(self.limit)} upload limit", field=self.field)
        return chunk


def upload_limits() -> Limits:
    settings = get_settings()
    return Limits(max_line_bytes=settings.max_line_bytes, max_decoded_bytes=settings.max_decoded_bytes)


def file_error(exc: FileRejected, field: str) -> StudioError:
    """A rejected file as the API answers it: too much data is 413, anything else 422."""
    if isinstance(exc, DecodedTooLarge):
        return TooLarge(str(exc), field=field)
    return Invalid(str(exc), field=field)


def _megabytes(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit:,}-byte"


def search_text(record: AnyRecord) -> str:
    """Every text of the record, lower-cased: what `q` searches with LIKE."""
    if isinstance(record, ChatRecord):
        texts: tuple[str, ...] = tuple(message.content for message in record.messages)
    elif isinstance(record, AlpacaRecord):
        texts = (record.instruction, record.input, record.output)
    else:
        texts = (record.prompt, record.completion)
    return "\n".join(text for text in texts if text).lower()


# --- upload ---------------------------------------------------------------------------------------------------


@dataclass
class _Source:
    """One uploaded file on its way in: where its rows go and what the first pass found."""

    form_field: str  # for error messages: file, validation_file, test_file
    table: Table
    split: Split | None  # None: drawn by ratio (the main file)
    fields: FieldMap
    usable: int = 0
    bad: int = 0
    errors: list[str] = field(default_factory=list)


def create_dataset(
    session: Session,
    user: User,
    storage: Storage,
    options: UploadOptions,
    file: UploadedFile,
    validation_file: UploadedFile | None = None,
    test_file: UploadedFile | None = None,
) -> Dataset:
    """Validate and store an upload, or raise Invalid/TooLarge having stored nothing at all."""
    problem = options.ratios.problem()
    if problem is not None:
        raise Invalid(problem[1], field=problem[0])
    if not 0 <= options.seed <= MAX_SEED:
        raise Invalid(f"seed must be between 0 and {MAX_SEED}", field="seed")
    if options.template == "custom":
        raise Invalid(
            "a custom template is set after the upload, on the dataset's page (PATCH /api/datasets/{id})",
            field="template",
        )
    settings = get_settings()
    limits = upload_limits()
    folder = f"datasets/{uuid.uuid4().hex}"
    uploads = (
        ("file", file, "upload", None),
        ("validation_file", validation_file, "validation", Split.VALIDATION),
        ("test_file", test_file, "test", Split.TEST),
    )
    try:
        tables = []
        for form_field, upload, stored_as, split in uploads:
            if upload is None:
                continue
            key = f"{folder}/{stored_as}"
            storage.save(key, _LimitedReader(upload.content, settings.max_upload_bytes, form_field))  # type: ignore[arg-type]
            tables.append((form_field, _open(storage.local_path(key), upload.filename, limits, form_field), split))
        dataset = _ingest(session, user, options, tables, limits, file_key=f"{folder}/upload")
        session.commit()  # before queueing its token count: the light worker must find the rows
    except BaseException:
        storage.delete(folder)  # a rejected upload leaves no file behind
        raise
    token_stats_service.count_in_background(session, dataset)
    return dataset


def _open(path: Any, filename: str, limits: Limits, field: str) -> Table:
    try:
        return open_table(path, filename, limits)
    except FileRejected as exc:
        raise file_error(exc, field) from exc


def _ingest(
    session: Session,
    user: User,
    options: UploadOptions,
    tables: list[tuple[str, Table, Split | None]],
    limits: Limits,
    file_key: str,
) -> Dataset:
    collector = WarningCollector()
    # First pass, file by file: which columns are which, then every row validated and fingerprinted, none kept.
    mapping = options.column_mapping.fields() if options.column_mapping else None
    sources: list[_Source] = []
    for form_field, table, split in tables:
        # The main file decides the shape; a validation or test file is read with the same mapping.
        shape = sources[0].fields.shape if sources else options.shape
        source = _Source(form_field, table, split, _resolve(form_field, table, shape, mapping))
        _scan(source, limits, collector)
        _check(source, options.drop_invalid)
        sources.append(source)
    main = sources[0]

    ratios = options.ratios
    validation_ratio = 0.0 if _has(sources, Split.VALIDATION) else ratios.validation
    test_ratio = 0.0 if _has(sources, Split.TEST) else ratios.test
    groups = options.groups
    if groups is None and options.group_similar:
        groups = tuple(collector.prompt_groups())
    if options.splits is not None:
        if len(options.splits) != main.usable:
            raise ValueError(f"{len(options.splits)} splits for {main.usable} rows")  # a caller's bug
        drawn = list(options.splits)
    elif groups is None:
        drawn = assign_splits(main.usable, options.seed, validation_ratio, test_ratio)
    elif len(groups) != main.usable:
        raise ValueError(f"{len(groups)} groups for {main.usable} rows")  # a caller's bug, not the user's
    else:
        drawn = assign_group_splits(groups, options.seed, validation_ratio, test_ratio)
    counts = {split: drawn.count(split) for split in Split}
    for source in sources:
        if source.split is not None:
            counts[source.split] += source.usable

    template = options.template or DEFAULT_TEMPLATES[main.fields.shape]
    _check_template(template, main, limits)
    dataset = Dataset(
        owner_id=user.id,
        name=options.name,
        format=main.table.format,
        shape=main.fields.shape,
        column_mapping=main.fields.mapped,
        template=template,
        num_rows=sum(counts.values()),
        num_train=counts[Split.TRAIN],
        num_validation=counts[Split.VALIDATION],
        num_test=counts[Split.TEST],
        num_dropped=sum(source.bad for source in sources),
        split_seed=options.seed,
        split_ratios=None
        if options.splits is not None
        else ratios.drawn(_has(sources, Split.VALIDATION), _has(sources, Split.TEST)),
        split_hash="",
        warnings={"items": [w.model_dump() for w in collector.finish(drawn, fix=_leakage_fix(options))]},
        label_counts=collector.label_counts(),
        file_key=file_key,
        derived_from_id=options.derived_from_id,
    )
    session.add(dataset)
    session.flush()

    # Second pass: the same rows again, now stored with their split.
    hasher = SplitHasher()
    for source in sources:
        splits: Iterator[Split] = iter(drawn) if source.split is None else _repeat(source.split)
        rows = (row for row in parsed_rows(source.table, source.fields, limits) if isinstance(row, ParsedRow))
        insert_examples(session, dataset.id, ((row, next(splits)) for row in rows), hasher)
    dataset.split_hash = hasher.hexdigest()
    return dataset


def _leakage_fix(options: UploadOptions) -> LeakageFix:
    if options.leakage_fix is not None:
        return options.leakage_fix
    return LEAKAGE_FIX_FILES if options.group_similar else LEAKAGE_FIX_UPLOAD


def _has(sources: list[_Source], split: Split) -> bool:
    return any(source.split == split for source in sources)


def _repeat(split: Split) -> Iterator[Split]:
    while True:
        yield split


def _resolve(form_field: str, table: Table, shape: ShapeChoice, mapping: dict[str, str] | None) -> FieldMap:
    try:
        columns = table.columns()
    except FileRejected as exc:
        raise file_error(exc, form_field) from exc
    if not columns and table.format in ("jsonl", "json"):
        # Not one row is a JSON object with keys: say what is wrong with each row, not "map your columns".
        columns = list(FIELD_NAMES[shape if shape != "auto" else "alpaca"])
    try:
        return resolve_fields(columns, shape, mapping)
    except MappingError as exc:
        where = "" if form_field == "file" else f"the {form_field.replace('_', ' ')}: "
        raise Invalid(where + exc.detail, field="column_mapping", columns=exc.columns) from exc


def _scan(source: _Source, limits: Limits, collector: WarningCollector) -> None:
    try:
        for row in parsed_rows(source.table, source.fields, limits):
            if isinstance(row, str):
                source.bad += 1
                if len(source.errors) < MAX_REPORTED_ERRORS:
                    source.errors.append(row)
            else:
                source.usable += 1
                collector.add(row, source.split)
    except FileRejected as exc:
        raise file_error(exc, source.form_field) from exc


def _check(source: _Source, drop_invalid: bool) -> None:
    """Reject the upload unless enough rows are usable (and the user chose to drop the others)."""
    needed = MIN_EXAMPLES if source.split is None else 1
    the_file = "the file" if source.form_field == "file" else f"the {source.form_field.replace('_', ' ')}"
    if source.usable < needed:
        if source.usable == 0 and source.bad == 0:
            detail = (
                f"{the_file} has a header but no rows"
                if source.table.format in ("csv", "tsv")
                else f"{the_file} has no rows"
            )
        elif source.usable == 0:
            detail = f"none of the {plural(source.bad, 'row')} in {the_file} is usable: fix them and upload again"
        elif source.bad:
            detail = (
                f"{plural(source.bad, 'invalid row')}, and only {plural(source.usable, 'usable example')}; at least "
                f"{needed} are needed to split into train, validation and test"
            )
        else:
            detail = (
                f"only {plural(source.usable, 'usable example')}; at least {needed} are needed to split into "
                "train, validation and test"
            )
        raise Invalid(detail, field=source.form_field, errors=source.errors)
    if source.bad and not drop_invalid:
        more = f" (the first {len(source.errors)} are listed)" if source.bad > len(source.errors) else ""
        raise Invalid(
            f"{plural(source.bad, 'invalid row')} in {the_file}{more}: fix them and upload again, or upload with "
            f"drop_invalid to keep the {plural(source.usable, 'good one')}",
            field=source.form_field,
            errors=source.errors,
            bad_rows=source.bad,
            usable_rows=source.usable,
        )


def _check_template(template: TemplateName, main: _Source, limits: Limits) -> None:
    """Built-in templates render any row of a shape or none: the first row tells. ("model" needs a base model's
    chat template, checked when a run or preview names one.)"""
    if template == "model":
        return
    first = next(row for row in parsed_rows(main.table, main.fields, limits) if isinstance(row, ParsedRow))
    try:
        render(template, first.record)
    except TemplateRenderError as exc:
        raise Invalid(f"the {template} template can't render this data: {exc}", field="template") from exc


def insert_examples(
    session: Session, dataset_id: int, rows: Iterable[tuple[ParsedRow, Split]], hasher: SplitHasher
) -> None:
    """Rows inserted 2,000 at a time (one executemany each) in the caller's transaction."""
    batch: list[dict[str, Any]] = []
    for row, split in rows:
        hasher.update(split, row.record)
        batch.append(
            {
                "dataset_id": dataset_id,
                "row_number": row.row_number,
                "split": split,
                "record": row.record.model_dump(mode="json"),
                "label": row.label,
                "search_text": search_text(row.record),
            }
        )
        if len(batch) == INSERT_BATCH_ROWS:
            session.execute(insert(DatasetExample), batch)
            batch = []
    if batch:
        session.execute(insert(DatasetExample), batch)


# --- reading and editing --------------------------------------------------------------------------------------


def list_datasets(session: Session, user: User, *, include_archived: bool = False) -> list[Dataset]:
    query = select(Dataset).where(owned_by(user, Dataset.owner_id)).order_by(Dataset.id.desc())
    if not include_archived:
        query = query.where(Dataset.archived_at.is_(None))
    return list(session.scalars(query))


def refuse_if_archived(dataset: Dataset) -> None:
    """New runs train on datasets in use only: an archived one is unarchived first."""
    if dataset.archived_at is not None:
        raise Invalid(
            f"dataset {dataset.id} is archived: unarchive it (PATCH /api/datasets/{dataset.id} archived: false) to "
            "train on it",
            field="dataset_id",
        )


class DatasetInUse(Conflict):
    """Runs trained or evaluated on the dataset: the body names them."""

    body_model = DatasetInUseBody

    def __init__(self, dataset: Dataset, run_ids: list[int]) -> None:
        runs = ", ".join(str(run_id) for run_id in run_ids)
        super().__init__(
            f"dataset {dataset.id} was used by run{'s' if len(run_ids) > 1 else ''} {runs}: archive it instead "
            "(PATCH archived: true), or delete those runs first"
        )
        self.body = DatasetInUseBody(**self.body.model_dump(), run_ids=run_ids)


def delete_dataset(session: Session, storage: Storage, dataset: Dataset) -> None:
    """The dataset, its examples and token statistics (the database cascades) and its uploaded files; DatasetInUse
    when a run trained on it or an evaluation answered its examples (their records point at them)."""
    used = session.scalars(select(Run.id).where(Run.dataset_id == dataset.id)).all()
    evaluated = session.scalars(select(Evaluation.run_id).where(Evaluation.dataset_id == dataset.id)).all()
    run_ids = sorted({*used, *(run_id for run_id in evaluated if run_id is not None)})
    if run_ids:
        raise DatasetInUse(dataset, run_ids)
    folder = dataset.file_key.rsplit("/", 1)[0]  # the upload and any validation/test files beside it
    session.delete(dataset)
    session.commit()
    storage.delete(folder)


def get_dataset(session: Session, dataset_id: int, user: User) -> Dataset:
    dataset = session.get(Dataset, dataset_id)
    if dataset is None or not can_see(user, dataset.owner_id):
        raise NotFound(f"dataset {dataset_id} not found")
    return dataset


def list_examples(
    session: Session, dataset: Dataset, *, split: Split | None, q: str | None, offset: int, limit: int
) -> tuple[list[tuple[DatasetExample, int]], int]:
    """A page of examples, each with its number in the dataset (from 1, in file order), whatever the filters."""
    numbered = (
        select(DatasetExample.id, func.row_number().over(order_by=DatasetExample.id).label("number"))
        .where(DatasetExample.dataset_id == dataset.id)
        .subquery()
    )
    query = select(DatasetExample).where(DatasetExample.dataset_id == dataset.id)
    if split is not None:
        query = query.where(DatasetExample.split == split)
    if q and q.strip():
        # search_text is stored lower-cased; autoescape makes % and _ in the query literal.
        query = query.where(DatasetExample.search_text.contains(q.strip().lower(), autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    # Insertion order is file order (the main file, then a validation file, then a test file).
    page = (
        query.add_columns(numbered.c.number)
        .join(numbered, numbered.c.id == DatasetExample.id)
        .order_by(DatasetExample.id)
        .offset(offset)
        .limit(limit)
    )
    return [(example, number) for example, number in session.execute(page)], total


def get_example_by_number(session: Session, dataset: Dataset, number: int) -> DatasetExample:
    """The dataset's example `number` (from 1, in file order), as ExampleOut.number counts."""
    query = (
        select(DatasetExample)
        .where(DatasetExample.dataset_id == dataset.id)
        .order_by(DatasetExample.id)
        .offset(number - 1)
        .limit(1)
    )
    example = session.scalar(query) if number >= 1 else None
    if example is None:
        raise NotFound(
            f"dataset {dataset.id} has no example {number}: its examples are numbered 1 to {dataset.num_rows}",
            field="example_number",
        )
    return example


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
    if update.archived is not None:
        dataset.archived_at = (dataset.archived_at or utcnow()) if update.archived else None
    dataset.template = template
    dataset.custom_template = custom_template
    session.flush()
    if changed:
        # Commit before queueing: the light worker counting the new template's tokens must find it.
        session.commit()
        token_stats_service.count_in_background(session, dataset)
    return dataset

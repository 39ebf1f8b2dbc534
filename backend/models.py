"""Database tables. Relationships refuse lazy loading: a query says what it needs."""

import math
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Insert,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    insert,
    true,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from domain.log import LogKind

# A base model's name (a catalog name, a local path or a hub id) is stored in columns this wide.
BASE_MODEL_NAME_CHARS = 300
MAX_TAG_CHARS = 40


def utcnow() -> datetime:
    return datetime.now(UTC)


def duration_seconds(started_at: datetime | None, finished_at: datetime) -> float | None:
    """A run's duration, from its first start to its end; None when it never started."""
    started = _as_utc(started_at)
    return (finished_at - started).total_seconds() if started is not None else None


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp written and read as UTC with its zone, on every database.

    SQLite has no time zones: it stores the wall time and hands back a naive datetime. PostgreSQL hands back the
    session's zone. Converted to UTC both ways, every datetime the code sees (and every response) is aware and in UTC.
    The column stays DateTime(timezone=True): no migration.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _as_utc(value)


class MetricFloat(TypeDecorator[float]):
    """A float that keeps NaN and ±Infinity: a diverging run's loss is recorded, not dropped.

    Both databases store ±Infinity as it is. NaN is stored as NULL on both (SQLite turns a NaN into NULL anyway;
    PostgreSQL would keep it, but then its MIN and MAX would rank NaN above every number), so the column is nullable
    only for NaN, and a NULL reads back as NaN.
    """

    impl = Float
    cache_ok = True

    def process_bind_param(self, value: float | None, dialect: Dialect) -> float | None:
        return None if value is None or math.isnan(value) else value

    def process_result_value(self, value: float | None, dialect: Dialect) -> float:
        return math.nan if value is None else value


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    # A naive datetime is UTC: utcnow() wrote it, and SQLite stored it as is.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _string_enum(enum: type[StrEnum]) -> SAEnum:
    """Stored as its plain value in a VARCHAR, so adding a member needs no database type change."""
    return SAEnum(enum, native_enum=False, length=20, values_callable=lambda members: [m.value for m in members])


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime()}


class Role(StrEnum):
    ADMIN = "admin"  # users and every resource
    MEMBER = "member"  # their own datasets, presets, models and runs
    REVIEWER = "reviewer"  # reviews what they are given; uploads and launches nothing


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The first migration's placeholder owner of pre-account data has no email: the first admin takes it over.
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_string_enum(Role), default=Role.MEMBER, server_default=Role.MEMBER.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class UserSession(Base):
    """A browser sign-in (cookie) or a password-grant bearer token; only a keyed hash of the secret is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ApiToken(Base):
    """A named personal token for the REST API: shown once, stored hashed, revocable."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(20))  # the token's first characters, to recognise it in a list
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Invitation(Base):
    """An admin's invitation: whoever holds its secret may create an account with this email and role, once."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(_string_enum(Role))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]


class AccessPolicy(Base):
    """One row: how people get accounts once the admin exists."""

    __tablename__ = "access_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    open_signup: Mapped[bool] = mapped_column(Boolean, default=False)


class Split(StrEnum):
    TRAIN = "train"
    VALIDATION = "validation"
    TEST = "test"


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(40))  # the uploaded file: jsonl, json, csv, tsv, parquet
    shape: Mapped[str] = mapped_column(String(40), default="alpaca")  # alpaca, prompt_completion, chat
    column_mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # source column → field, when mapped
    template: Mapped[str] = mapped_column(String(40), default="alpaca")  # the default prompt template for runs
    custom_template: Mapped[str | None] = mapped_column(Text)  # a user's Jinja template, rendered sandboxed
    num_rows: Mapped[int]
    num_train: Mapped[int]
    num_validation: Mapped[int]
    num_test: Mapped[int]
    num_dropped: Mapped[int] = mapped_column(Integer, default=0)  # invalid rows the user chose to drop
    split_seed: Mapped[int]
    split_ratios: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"train": .85, ...}; None: user's files
    split_hash: Mapped[str] = mapped_column(String(64))
    warnings: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"items": [{code, message, count, rows}]}
    label_counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {label: rows}, when there is a label column
    file_key: Mapped[str] = mapped_column(String(500))
    # The dataset this one is a new version of (made from reviews); kept when the original is deleted.
    derived_from_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set: hidden from the list and from new runs (a dataset runs used is archived, never deleted).
    archived_at: Mapped[datetime | None]

    examples: Mapped[list["DatasetExample"]] = relationship(
        back_populates="dataset", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class DatasetExample(Base):
    __tablename__ = "dataset_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int]  # 1-based line/row in the uploaded file, for error messages and search
    split: Mapped[Split] = mapped_column(_string_enum(Split), index=True)
    record: Mapped[dict[str, Any]]  # a domain.templates.Record: alpaca, prompt_completion or chat
    label: Mapped[str | None] = mapped_column(String(200))  # the class, for classification-style data
    search_text: Mapped[str] = mapped_column(Text, default="")  # lower-cased content, for search

    dataset: Mapped[Dataset] = relationship(back_populates="examples", lazy="raise")


class TokenStatsStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


# A pending token count whose task was sent (or started) this long ago without finishing is taken as lost: the
# next ask sends it again, and a worker may claim it again. Well above a real count: the light worker's render deadline
# (two minutes) plus tokenising half a million rows (~50 s).
TOKEN_COUNT_LOST_AFTER = timedelta(minutes=5)


class TokenStats(Base):
    """Every example's token count for one (dataset, base model, template): counted once by a light worker.

    One row per key, so a second ask finds the first one's count (ready or pending) instead of queueing another.
    Summaries that depend on max_seq_length are computed from `lengths` when asked, never stored.
    """

    __tablename__ = "token_stats"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    # sha256 of every column below that the counts depend on: custom_template can be 50,000 characters, too long
    # for a unique index of its own.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    split_hash: Mapped[str] = mapped_column(String(64))
    base_model: Mapped[str] = mapped_column(String(BASE_MODEL_NAME_CHARS))
    tokenizer_version: Mapped[str] = mapped_column(String(100))  # tokenizer.json's size and mtime: rewritten, recount
    template: Mapped[str] = mapped_column(String(40))
    custom_template: Mapped[str | None] = mapped_column(Text)  # only when template is "custom"
    status: Mapped[TokenStatsStatus] = mapped_column(_string_enum(TokenStatsStatus), default=TokenStatsStatus.PENDING)
    lengths: Mapped[list[int] | None] = mapped_column(JSON)  # tokens per example before truncation, sorted
    # Answer tokens per example before truncation (domain.tokenize.answer_token_lengths), sorted: None when counted
    # before they were.
    answer_lengths: Mapped[list[int] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the ErrorBody the API answers with
    error_status: Mapped[int | None]  # its HTTP status: 422 for the data or template, 503 for anything else
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_at: Mapped[datetime | None]  # the task was last sent; None: not sent yet
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class BaseModelEntry(Base):
    """A base model users can fine-tune: the bundled one, a local directory or a hub id."""

    __tablename__ = "base_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(BASE_MODEL_NAME_CHARS), unique=True)
    source: Mapped[str] = mapped_column(String(20))  # bundled | local | hub
    # Who registered it (None: the catalog). Base models are studio-wide references, not anyone's data: every user
    # sees them; only admins register local directories and delete.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    location: Mapped[str] = mapped_column(String(1000))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Preset(Base):
    __tablename__ = "presets"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # None: built-in
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    hyperparameters: Mapped[dict[str, Any]]
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    base_model: Mapped[str] = mapped_column(String(BASE_MODEL_NAME_CHARS), index=True)
    preset_id: Mapped[int | None] = mapped_column(ForeignKey("presets.id"), index=True)
    preset_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    config: Mapped[dict[str, Any]]  # the full resolved TrainingConfig
    split_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[RunStatus] = mapped_column(_string_enum(RunStatus), default=RunStatus.QUEUED, index=True)
    status_message: Mapped[str] = mapped_column(Text, default="")  # latest progress line from the worker
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    task_id: Mapped[str | None] = mapped_column(String(200))
    # When the run's task was last sent to the broker; None while it has not reached it (the broker was down). A
    # worker's reaper sends a queued run again when no worker claimed it in time (worker.leases.resend_unclaimed).
    last_sent_at: Mapped[datetime | None]
    # Train a few steps of the exact config before the run, to measure memory and time (see worker.training.preflight).
    preflight: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Recovery is owned here, not by broker redelivery: the worker holding the lease renews it by heartbeat;
    # a reaper re-queues a run whose lease expired, and every write a worker makes is fenced by lease_owner.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    environment: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # device, quantisation, library versions
    base_eval_loss: Mapped[float | None] = mapped_column(Float)
    # A quantised method's (qlora, lora_8bit) base model unquantised; base_eval_loss is then the quantised one's.
    unquantised_base_eval_loss: Mapped[float | None] = mapped_column(Float)
    final_eval_loss: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # What the runs list shows, written where it happens (the worker's sink, its finish) so that a page of the list
    # is one query over this table, never a read of metrics or evaluations.
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    step: Mapped[int | None]  # the last optimiser step reported
    total_steps: Mapped[int | None]  # the optimiser steps training will take, once it has started
    best_eval_loss: Mapped[float | None] = mapped_column(Float, index=True)  # the lowest after step 0 (the base's)
    loss_sparkline: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a domain.sparkline.SparklineState
    duration_seconds: Mapped[float | None] = mapped_column(Float, index=True)  # from start to end, once finished
    # The headline metric: ROUGE-L of the automatic test evaluations, fine-tuned and its change against the base model.
    rouge_l: Mapped[float | None] = mapped_column(Float, index=True)
    rouge_l_change: Mapped[float | None] = mapped_column(Float, index=True)
    # Where the run's end is posted (besides the studio's global webhook, if set), and the secret that signs it:
    # Fernet-encrypted like a judge's key and never returned. None: the global secret signs.
    webhook_url: Mapped[str | None] = mapped_column(String(1000))
    webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text)

    @property
    def has_webhook_secret(self) -> bool:
        return self.webhook_secret_encrypted is not None


class WebhookDelivery(Base):
    """One attempt at posting a run's end to a webhook: what it answered, or why it could not."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(1000))
    event: Mapped[str] = mapped_column(String(40))
    attempt: Mapped[int]
    status_code: Mapped[int | None]  # None: no answer (error says why)
    error: Mapped[str | None] = mapped_column(Text)
    duration_seconds: Mapped[float] = mapped_column(Float)
    time: Mapped[datetime] = mapped_column(default=utcnow)


class RunTag(Base):
    """A user's label on a run; a row each, so filtering by tag is an index lookup on both databases."""

    __tablename__ = "run_tags"
    __table_args__ = (UniqueConstraint("run_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(MAX_TAG_CHARS), index=True)


class Metric(Base):
    __tablename__ = "metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    step: Mapped[int]
    epoch: Mapped[float | None]
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[float] = mapped_column(MetricFloat, nullable=True)  # NaN and ±Infinity too: see MetricFloat
    time: Mapped[datetime] = mapped_column(default=utcnow)


class RunLogLine(Base):
    """One line of a run's log. Run.status_message only holds the latest line; these keep every one."""

    __tablename__ = "run_log_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    time: Mapped[datetime] = mapped_column(default=utcnow)
    step: Mapped[int | None]  # the last optimiser step the run had reported; None before training
    kind: Mapped[LogKind] = mapped_column(_string_enum(LogKind))
    message: Mapped[str] = mapped_column(Text)


# Longer messages (a traceback's repr, say) are cut: the log is for reading.
MAX_LOG_LINE_CHARS = 2000


def insert_log_line(run_id: int, kind: LogKind, message: str, step: int | None = None) -> Insert:
    """The one way a line enters a run's log: the worker's sink, run endings, the reaper, the API."""
    return insert(RunLogLine).values(run_id=run_id, step=step, kind=kind, message=message[:MAX_LOG_LINE_CHARS])


class Checkpoint(Base):
    __tablename__ = "checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    step: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(500))
    eval_loss: Mapped[float | None]
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PinnedAnswer(Base):
    """A pinned validation example's greedy answer at one evaluation step of training (0: the base model), to watch
    answers change across checkpoints (TrainingConfig.pinned_examples)."""

    __tablename__ = "pinned_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    step: Mapped[int]
    example_id: Mapped[int] = mapped_column(ForeignKey("dataset_examples.id"))
    prompt: Mapped[str] = mapped_column(Text)  # the last user turn, without the template
    expected: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnswerSource(StrEnum):
    """Which model answered an evaluation's prompts."""

    FINE_TUNED = "fine_tuned"  # the run's weights (its final ones, or a checkpoint's)
    BASE = "base"  # the base model the run started from, unquantised


class Benchmark(Base):
    """An uploaded multiple-choice set (MMLU-style): questions with 2-26 choices and the right one, optionally a
    subject each. Scored by log-likelihood (evaluations of kind multiple_choice), never generated from."""

    __tablename__ = "benchmarks"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(40))  # the uploaded file: jsonl, json, csv, tsv, parquet
    num_questions: Mapped[int]
    subjects: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {subject: questions}, by name
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BenchmarkQuestion(Base):
    __tablename__ = "benchmark_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    benchmark_id: Mapped[int] = mapped_column(ForeignKey("benchmarks.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # 1-based, in file order
    row_number: Mapped[int]  # the line (JSONL) or row (CSV) in the uploaded file
    subject: Mapped[str | None] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    choices: Mapped[list[str]] = mapped_column(JSON)
    answer: Mapped[int]  # the right choice's index, from 0


class EvaluationKind(StrEnum):
    GENERATION = "generation"  # answers generated and scored against the expected ones
    MULTIPLE_CHOICE = "multiple_choice"  # a benchmark's choices ranked by log-likelihood


class Evaluation(Base):
    """A model's answers to a set of examples, scored. A finished run gets two: its fine-tuned model's and its base
    model's, on the test split with the training template; more are created on demand (POST /api/evaluations) and
    answered by a training worker (the `evaluations.run` task). Its life cycle is a run's (RunStatus).
    A multiple_choice evaluation answers a benchmark's questions instead of a dataset's examples."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EvaluationKind] = mapped_column(
        _string_enum(EvaluationKind), default=EvaluationKind.GENERATION, server_default=EvaluationKind.GENERATION.value
    )
    model: Mapped[AnswerSource] = mapped_column(_string_enum(AnswerSource))
    checkpoint_step: Mapped[int | None]  # None: the run's final weights (or the base model)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"))  # None: a benchmark's evaluation
    # Deleting a benchmark deletes its evaluations: they mean nothing without its questions.
    benchmark_id: Mapped[int | None] = mapped_column(ForeignKey("benchmarks.id", ondelete="CASCADE"), index=True)
    split: Mapped[Split | None] = mapped_column(_string_enum(Split))  # None: the whole dataset
    template: Mapped[str] = mapped_column(String(40))
    decoding: Mapped[dict[str, Any]]  # greedy or sampling settings, max new tokens
    base_model_fingerprint: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[RunStatus] = mapped_column(_string_enum(RunStatus), default=RunStatus.QUEUED)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    # {name: {"value", "ci_low", "ci_high"}}: the mean of the per-example scores with a 95% bootstrap interval.
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # multiple_choice: [{"subject", "questions", "metrics": {name: {"value", "ci_low", "ci_high"}}}], by subject
    subjects: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # Asked through the API; the worker stops between batches (a queued evaluation is cancelled at once).
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # As a run's: the worker answering renews the lease; a reaper queues the evaluation again when it expires.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]  # claimed by the worker answering it: the ETA counts from here
    finished_at: Mapped[datetime | None]


class EvaluationPrediction(Base):
    __tablename__ = "evaluation_predictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    example_id: Mapped[int] = mapped_column(ForeignKey("dataset_examples.id"))
    prompt: Mapped[str] = mapped_column(Text)
    expected: Mapped[str] = mapped_column(Text)
    generated: Mapped[str] = mapped_column(Text)
    # {metric name: the example's score}; judge_score only once a judge scored this answer.
    scores: Mapped[dict[str, Any]]
    # The latest judging's word on this answer: the judge's explanation, or why it gave no score (never a 0).
    judge_explanation: Mapped[str | None] = mapped_column(Text)
    not_judged_reason: Mapped[str | None] = mapped_column(Text)


class JudgeKind(StrEnum):
    OPENAI = "openai"  # any OpenAI-compatible chat endpoint: base URL, model, API key
    BASE_MODEL = "base_model"  # a base model registered in the studio, answered by a training worker


class Judge(Base):
    """An LLM that grades answers: an endpoint with its key, or a registered base model. Owned like a dataset."""

    __tablename__ = "judges"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[JudgeKind] = mapped_column(_string_enum(JudgeKind))
    base_url: Mapped[str | None] = mapped_column(String(1000))  # openai: up to the API version (…/v1)
    model: Mapped[str] = mapped_column(String(BASE_MODEL_NAME_CHARS))  # the endpoint's model, or the base model's name
    # Fernet-encrypted with a key derived from the studio's secret key (backend.core.secret_key); never returned by
    # the API, which says only whether there is one. None: the endpoint wants no key (a local server).
    api_key_encrypted: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def has_api_key(self) -> bool:
        return self.api_key_encrypted is not None


class JudgingKind(StrEnum):
    SCORE = "score"  # each answer of one evaluation graded 0-100 against the expected answer
    PAIRWISE = "pairwise"  # which of two evaluations' answers to the same example is better, asked in both orders


class PairWinner(StrEnum):
    A = "a"
    B = "b"
    TIE = "tie"  # also when the two orders disagree: the judge followed the position, not the answers


class Judging(Base):
    """A judge's pass over an evaluation's answers (score) or over two evaluations' (pairwise), done by a worker:
    the light queue for an endpoint, the training queue for a base model. Its life cycle is a run's (RunStatus); a
    cancel ends it at once, and the worker stops at its next progress write. Judging an evaluation again replaces
    its earlier judge scores."""

    __tablename__ = "judgings"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[JudgingKind] = mapped_column(_string_enum(JudgingKind))
    # score: the evaluation graded; pairwise: answers A.
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    # pairwise: answers B; None for score.
    versus_evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), index=True
    )
    judge_id: Mapped[int | None] = mapped_column(ForeignKey("judges.id", ondelete="SET NULL"), index=True)
    # The judge as it was when the worker started: it may be renamed, changed or deleted since.
    judge_name: Mapped[str] = mapped_column(String(200))
    judge_kind: Mapped[JudgeKind] = mapped_column(_string_enum(JudgeKind))
    judge_model: Mapped[str] = mapped_column(String(BASE_MODEL_NAME_CHARS))
    rubric: Mapped[str] = mapped_column(Text)
    status: Mapped[RunStatus] = mapped_column(_string_enum(RunStatus), default=RunStatus.QUEUED)
    done: Mapped[int] = mapped_column(Integer, default=0)  # examples (pairs) answered by the judge so far
    total: Mapped[int] = mapped_column(Integer, default=0)
    judged: Mapped[int] = mapped_column(Integer, default=0)
    not_judged: Mapped[int] = mapped_column(Integer, default=0)  # no usable reply: a reason each, never a 0
    a_wins: Mapped[int] = mapped_column(Integer, default=0)  # pairwise only
    b_wins: Mapped[int] = mapped_column(Integer, default=0)
    ties: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)  # as the judge counted them
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class PairJudgement(Base):
    """A pairwise judging's verdict on one example (score judgings write into the evaluation's predictions)."""

    __tablename__ = "pair_judgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    judging_id: Mapped[int] = mapped_column(ForeignKey("judgings.id", ondelete="CASCADE"), index=True)
    example_id: Mapped[int] = mapped_column(ForeignKey("dataset_examples.id"))
    winner: Mapped[PairWinner | None] = mapped_column(_string_enum(PairWinner))  # None: not judged
    # What the judge said with A shown first, and with B shown first (A and B being the letters it saw).
    verdict: Mapped[str | None] = mapped_column(String(10))
    swapped_verdict: Mapped[str | None] = mapped_column(String(10))
    explanation: Mapped[str] = mapped_column(Text, default="")
    not_judged_reason: Mapped[str | None] = mapped_column(Text)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)


class BenchmarkAnswer(Base):
    """A multiple_choice evaluation's answer to one question: each choice's log-likelihood and the choices picked."""

    __tablename__ = "benchmark_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("benchmark_questions.id", ondelete="CASCADE"))
    subject: Mapped[str | None] = mapped_column(String(200))
    correct: Mapped[int]  # the right choice's index
    chosen: Mapped[int]  # the highest log-likelihood (acc)
    chosen_norm: Mapped[int]  # the highest log-likelihood per character (acc_norm)
    logliks: Mapped[list[float]] = mapped_column(JSON)  # per choice, summed over its tokens


class Worker(Base):
    """A live Celery worker: what it serves and what it trains on, so the API can say whether a run will fit.

    A worker adds its row when it is ready, refreshes last_seen_at every reaper interval and deletes the row when it
    shuts down (worker.registry). A worker killed outright leaves its row: readers ignore rows not seen for three
    reaper intervals, and workers delete rows not seen for an hour.
    """

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # worker.leases.WORKER_ID: a run's lease_owner
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    queues: Mapped[list[str]] = mapped_column(JSON)  # "training" (runs) and/or "light" (token counts)
    device: Mapped[str] = mapped_column(String(20))  # cuda | cpu: where it trains
    device_name: Mapped[str] = mapped_column(String(300))  # the (smallest) GPU's name, or the CPU model
    device_count: Mapped[int] = mapped_column(Integer, default=0)  # GPUs it sees; 0 on CPU
    # The smallest GPU's total memory on CUDA (the Trainer replicates the model on each GPU it sees), else the RAM or
    # the container's limit. BigInteger: 80 GB is beyond a 32-bit integer.
    memory_bytes: Mapped[int] = mapped_column(BigInteger)
    cpu_count: Mapped[int]
    versions: Mapped[dict[str, Any]]  # python, and torch and CUDA on a training worker
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ReviewVerdict(StrEnum):
    """A reviewer's word on one answer."""

    CORRECT = "correct"
    PARTLY = "partly"
    WRONG = "wrong"


class Review(Base):
    """One reviewer's verdict on one answer of a generation evaluation. One per reviewer and example: two reviewers
    never overwrite each other, and `version` (+1 per edit) lets an edit that started from an older one be refused."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("evaluation_id", "example_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    example_id: Mapped[int] = mapped_column(ForeignKey("dataset_examples.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    verdict: Mapped[ReviewVerdict] = mapped_column(_string_enum(ReviewVerdict))
    score: Mapped[int | None]  # 1-5, optional
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    corrected_answer: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comparison(Base):
    """A blind A/B between two generation evaluations of the same examples: reviewers vote on pairs of answers."""

    __tablename__ = "comparisons"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    evaluation_a_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    evaluation_b_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VoteChoice(StrEnum):
    """What a reviewer picked, by position: the reviewer never knows which side is which model."""

    LEFT = "left"
    RIGHT = "right"
    TIE = "tie"
    BOTH_BAD = "both_bad"


class VoteWinner(StrEnum):
    """A vote by model: the choice with the sides resolved."""

    A = "a"
    B = "b"
    TIE = "tie"
    BOTH_BAD = "both_bad"


class ComparisonPair(Base):
    """One example shown to one reviewer, with the sides drawn at random; pending until voted."""

    __tablename__ = "comparison_pairs"
    __table_args__ = (UniqueConstraint("comparison_id", "example_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("comparisons.id", ondelete="CASCADE"), index=True)
    example_id: Mapped[int] = mapped_column(ForeignKey("dataset_examples.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    a_on_left: Mapped[bool] = mapped_column(Boolean)
    choice: Mapped[VoteChoice | None] = mapped_column(_string_enum(VoteChoice))
    winner: Mapped[VoteWinner | None] = mapped_column(_string_enum(VoteWinner))
    voted_at: Mapped[datetime | None]

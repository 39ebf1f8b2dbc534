import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, RootModel, computed_field, field_serializer

from backend.core.params import Id
from backend.models import BASE_MODEL_NAME_CHARS, MAX_TAG_CHARS, RunStatus
from backend.webhooks.schemas import (
    WEBHOOK_SECRET_DESCRIPTION,
    WEBHOOK_URL_DESCRIPTION,
    WebhookSecret,
    WebhookUrl,
    WebhookUrlOrEmpty,
)
from domain.catalog import BUNDLED_MODEL_NAME
from domain.log import LogKind


class RunSpec(BaseModel):
    """What a run trains: resolved into its config by backend.runs.service.resolve_run, for creating and estimating."""

    dataset_id: Id
    base_model: str = Field(
        BUNDLED_MODEL_NAME,
        min_length=1,
        max_length=BASE_MODEL_NAME_CHARS,
        description="A name from GET /api/models, an absolute path to a local model directory, or a hub id.",
    )
    preset_id: Id | None = None
    hyperparameters: dict[str, Any] = Field(
        default_factory=dict, description="Overrides on top of the preset; see GET /api/hyperparameters."
    )


class RunCreate(RunSpec):
    name: str | None = Field(None, max_length=200)
    preflight: bool = Field(
        False,
        description="Before the run, train 3 steps of its exact config and throw them away, to measure memory and "
        "seconds per step (an out-of-memory error there is retried with a smaller micro-batch). The figures go to "
        "environment.preflight and the run's log: a real ETA. Costs those 3 steps and a model load.",
    )
    force: bool = Field(
        False,
        description="Queue the run even when the estimate (POST /api/runs/estimate) says it fits on none of the live "
        "training workers (verdict wont_fit), which is otherwise refused with 422: the estimate can be 25% off.",
    )
    webhook_url: WebhookUrl | None = Field(None, description=WEBHOOK_URL_DESCRIPTION)
    webhook_secret: WebhookSecret | None = Field(None, description=WEBHOOK_SECRET_DESCRIPTION)


class RunClone(BaseModel):
    """A new run with exactly the source run's resolved configuration, dataset split, base model and preset snapshot."""

    name: str | None = Field(None, max_length=200, description="Default: the source run's name with its number.")
    preflight: bool = Field(False, description="As for a new run.")


ArtifactName = Literal["adapter", "model", "merged"]


class ArtifactOut(BaseModel):
    name: ArtifactName = Field(
        description="adapter: the LoRA adapter; model: the whole fine-tuned model (method full); "
        "merged: the base model with the adapter merged in (merge_adapter)."
    )
    size_bytes: int = Field(description="The files' total size on disk, before zipping.")
    url: str = Field(description="Where to download it as a zip archive.")


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    dataset_id: int
    base_model: str
    preset_id: int | None
    preset_snapshot: dict[str, Any] | None
    config: dict[str, Any]
    split_hash: str
    status: RunStatus
    status_message: str
    error: str | None
    cancel_requested: bool
    attempts: int = Field(description="Tries at this run so far: 1, plus one per resume after a lost worker.")
    preflight: bool = Field(description="Whether a pre-flight measures the run before it trains (see RunCreate).")
    environment: dict[str, Any] | None
    base_eval_loss: float | None = Field(
        description="Validation loss at step 0, where training starts: with qlora or lora_8bit the quantised base model's."
    )
    unquantised_base_eval_loss: float | None = Field(
        description="qlora and lora_8bit: the base model's validation loss unquantised, as the user has it, which "
        "the fine-tuned model is judged against. Null when the method does not quantise (then it is base_eval_loss)."
    )
    final_eval_loss: float | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    artifacts: list[ArtifactOut] = Field([], description="The run's downloadable weights, once training saved them.")
    queue_position: int | None = Field(
        None, description="A queued run's place in the training queue (runs and evaluations): 1 starts next."
    )
    queue_note: str | None = Field(
        None,
        description="Where a queued run stands: '2nd in the queue, behind run 14', or that no training worker runs.",
    )
    tags: list[str] = Field([], description="The run's tags, in alphabetical order.")
    note: str = ""
    webhook_url: str | None = Field(None, description="The run's own webhook (see RunCreate).")
    has_webhook_secret: bool = Field(
        False, description="The run's webhook has its own secret (never returned); else the global one signs."
    )


MAX_TAGS = 20
MAX_NOTE_CHARS = 2000
Tag = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_TAG_CHARS,
        pattern=r"^[^,\s]([^,]*[^,\s])?$",
        description="A label of up to 40 characters, without commas (the tag filter splits on them) or edge spaces.",
    ),
]


class RunUpdate(BaseModel):
    """What a run's owner may change after launch: its name, tags, note and webhook. Fields left out stay as they
    are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    tags: list[Tag] | None = Field(
        None, max_length=MAX_TAGS, description="The run's tags, replacing the ones it had; duplicates count once."
    )
    note: str | None = Field(None, max_length=MAX_NOTE_CHARS, description="Free text shown in the runs list.")
    webhook_url: WebhookUrlOrEmpty | None = Field(None, description=WEBHOOK_URL_DESCRIPTION + ' "" removes it.')
    webhook_secret: WebhookSecret | None = Field(
        None, description=WEBHOOK_SECRET_DESCRIPTION + ' "" removes the run\'s own, to sign with the global one.'
    )


class RunListItem(BaseModel):
    """A run as the runs list shows it: every figure is kept on the run, so a page is one query."""

    id: int
    name: str
    status: RunStatus
    status_message: str
    dataset_id: int
    dataset_name: str
    base_model: str
    preset_id: int | None
    preset_name: str | None = Field(description="The preset's name as the run snapshotted it; None: no preset.")
    step: int | None = Field(description="The last optimiser step reported.")
    total_steps: int | None = Field(description="The optimiser steps training takes; None until it has started.")
    eta_seconds: float | None = Field(
        description="Running: the time left at the pace since the run started (model loading included); else None."
    )
    base_eval_loss: float | None = Field(description="The base model's validation loss, as RunOut's verdict uses it.")
    best_eval_loss: float | None = Field(description="The lowest validation loss after step 0 (the base model's).")
    rouge_l: float | None = Field(
        description="ROUGE-L of the fine-tuned model on the test split (automatic evaluation)."
    )
    rouge_l_change: float | None = Field(description="rouge_l minus the base model's ROUGE-L on the same examples.")
    loss_sparkline: list[float] = Field(
        description="The training loss in step order, downsampled to at most 32 bucket means (16 once it is long)."
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None = Field(description="From start to end; while running, so far.")
    tags: list[str]
    note: str
    queue_position: int | None = Field(
        None, description="A queued run's place in the training queue (runs and evaluations): 1 starts next."
    )
    queue_note: str | None = Field(None, description="Where a queued run stands (see RunOut.queue_note).")


class CheckpointOut(BaseModel):
    id: int
    step: int
    eval_loss: float | None = Field(description="Validation loss at this step; None when it was not evaluated then.")
    is_best: bool = Field(description="The lowest validation loss among the run's checkpoints.")
    is_final: bool = Field(description="The run's final weights (what downloads hand out), not a resumable checkpoint.")
    on_disk: bool = Field(
        description="False once deleted: the trainer keeps only the last save_total_limit and the best."
    )
    size_bytes: int | None = Field(description="The directory's total size; None when it is no longer on disk.")
    created_at: datetime


NonFinite = Literal["NaN", "Infinity", "-Infinity"]


class LoggedValue(BaseModel):
    """A metric's value as JSON carries it. JSON has no NaN or Infinity, and a diverging run logs them: such a value
    is sent as `value` null with `non_finite` naming it, so a client tells a NaN loss from a missing one."""

    value: float = Field(description="The value; null when it is not a finite number (see non_finite).")

    @field_serializer("value")
    def _finite_or_null(self, value: float) -> float | None:
        return value if math.isfinite(value) else None

    @computed_field(  # type: ignore[prop-decorator]
        description='"NaN", "Infinity" or "-Infinity" when the value is not a finite number (value is null then); '
        "null when it is."
    )
    @property
    def non_finite(self) -> NonFinite | None:
        if math.isnan(self.value):
            return "NaN"
        if math.isinf(self.value):
            return "Infinity" if self.value > 0 else "-Infinity"
        return None


class MetricOut(LoggedValue):
    model_config = ConfigDict(from_attributes=True)

    id: int
    step: int
    epoch: float | None
    name: str
    time: datetime


class StepAnswerOut(BaseModel):
    step: int  # 0: the base model, before training
    answer: str


class PinnedExampleOut(BaseModel):
    """A pinned validation example and its greedy answer at each evaluation step, in step order."""

    example_id: int
    prompt: str  # the last user turn, without the template
    expected: str
    answers: list[StepAnswerOut]


class RunLogLineOut(BaseModel):
    """One line of a run's log."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    time: datetime
    step: int | None = Field(description="The last optimiser step the run had reported then; None before training.")
    kind: LogKind = Field(
        description="progress (many, short-lived), info, warning, resume, preflight, oom_retry, overfitting, "
        "stopped (early stopping, the loss watchdog, a cancel) or error (why the run failed)."
    )
    message: str


class MetricPayload(LoggedValue):
    name: str
    epoch: float | None
    time: datetime = Field(description="When the worker logged the point (the charts' wall-time axis).")


class LogLinePayload(BaseModel):
    kind: LogKind
    message: str
    time: datetime


class StatusPayload(BaseModel):
    status: RunStatus
    status_message: str
    error: str | None
    base_eval_loss: float | None
    unquantised_base_eval_loss: float | None
    final_eval_loss: float | None


class ReconnectPayload(BaseModel):
    pass


class _Envelope(BaseModel):
    # Every field of a sent event is present, defaults included: the generated client's types say so.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
    _sse_messages: dict[str, bytes] = PrivateAttr(default_factory=dict)

    def sse_message(self, name: str, sse_id: str) -> bytes:
        """This event as one Server-Sent Events message named `name` (compact JSON: one data line). Kept by id: a
        reading's events go to every client of the run, each encoded once for all of them."""
        if sse_id not in self._sse_messages:
            data = self.model_dump_json()
            self._sse_messages[sse_id] = f"id: {sse_id}\nevent: {name}\ndata: {data}\n\n".encode()
        return self._sse_messages[sse_id]


class MetricEvent(_Envelope):
    """A metric point; id is a MetricOut id."""

    id: int
    type: Literal["metric"] = "metric"
    run_id: int
    step: int | None
    payload: MetricPayload


class LogLineEvent(_Envelope):
    """A line of the run's log; id is a RunLogLineOut id."""

    id: int
    type: Literal["log_line"] = "log_line"
    run_id: int
    step: int | None
    payload: LogLinePayload


class StatusEvent(_Envelope):
    """The run's state, sent when it changes."""

    id: None = None
    type: Literal["status"] = "status"
    run_id: int
    step: None = None
    payload: StatusPayload


class ReconnectEvent(_Envelope):
    """The stream ends here: reconnect with Last-Event-ID."""

    id: None = None
    type: Literal["reconnect"] = "reconnect"
    run_id: int
    step: None = None
    payload: ReconnectPayload = Field(default_factory=ReconnectPayload)


AnyRunEvent = MetricEvent | LogLineEvent | StatusEvent | ReconnectEvent


class RunEvent(RootModel[Annotated[AnyRunEvent, Field(discriminator="type")]]):
    """The one envelope {id, type, run_id, step, payload} for everything a run reports, whatever the transport.

    `type` says which payload it carries and is also the SSE event name. A named root model, so the union is one
    schema in OpenAPI (the generated client's type of an SSE message).
    """

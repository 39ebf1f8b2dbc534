from collections.abc import AsyncIterator, Sequence
from typing import Annotated

from fastapi import APIRouter, Header, Query, status
from pydantic import StringConstraints
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse

from backend.auth.dependencies import CreatorUser, CurrentUser
from backend.core.db import SessionDep
from backend.core.errors import Conflict, Invalid, NotFound, error_responses
from backend.core.params import Id, Position, id_list_query
from backend.core.run_notices import notify_run_changed
from backend.core.schemas import Page
from backend.core.storage import Storage, StorageDep
from backend.core.webhooks import announce
from backend.models import BASE_MODEL_NAME_CHARS, MAX_TAG_CHARS, Run, RunStatus, User
from backend.runs import artifacts, compare, lifecycle, listing, queue, service
from backend.runs.compare_schemas import RunComparisonOut
from backend.runs.dependencies import RunDep
from backend.runs.events import Cursor, RunFeedsDep, run_events
from backend.runs.listing import RunFilters
from backend.runs.schemas import (
    MetricOut,
    PinnedExampleOut,
    RunClone,
    RunCreate,
    RunEvent,
    RunListItem,
    RunLogLineOut,
    RunOut,
    RunUpdate,
)

router = APIRouter(prefix="/api/runs", tags=["runs"])

# One status parameter may name every status, comma-separated.
STATUS_LIST_CHARS = len(",".join(RunStatus))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RunOut,
    operation_id="createRun",
    responses=error_responses(Invalid, NotFound),
)
def create_run(session: SessionDep, user: CreatorUser, request: RunCreate) -> Run:
    return service.create_run(session, user, request)


def _described(session: Session, storage: Storage, user: User, runs: Sequence[Run]) -> list[RunOut]:
    """The runs with their artifacts and, when queued, where they stand."""
    places = queue.queue_notes(session, user)
    return [
        out.model_copy(update={"queue_position": places[out.id][0], "queue_note": places[out.id][1]})
        if out.id in places
        else out
        for out in artifacts.describe_runs(session, storage, runs)
    ]


@router.get("", response_model=Page[RunListItem], operation_id="listRuns", responses=error_responses(Invalid))
def list_runs(
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[
        list[Annotated[str, StringConstraints(max_length=STATUS_LIST_CHARS)]],
        Query(
            max_length=len(RunStatus),
            description="Only runs in these states (queued, running, succeeded, failed, cancelled): repeat the "
            "parameter or separate them with commas.",
        ),
    ] = [],  # noqa: B006 - FastAPI copies a query default, it is never shared
    dataset_id: Annotated[Id | None, Query(description="Only runs on this dataset.")] = None,
    base_model: Annotated[
        str | None, Query(max_length=BASE_MODEL_NAME_CHARS, description="Only runs of this base model.")
    ] = None,
    preset_id: Annotated[Id | None, Query(description="Only runs launched from this preset.")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Only runs whose name contains this, in any case.")
    ] = None,
    tag: Annotated[str | None, Query(max_length=MAX_TAG_CHARS, description="Only runs with this tag.")] = None,
    sort: Annotated[
        str,
        Query(
            max_length=40,
            # Stated for clients; listing refuses anything else with a message naming the fields.
            json_schema_extra={"enum": listing.SORT_VALUES},
            description="A field, with '-' before it for descending: created_at, name, status, dataset, base_model, "
            "preset, best_val_loss, rouge_l, rouge_l_change, duration. Runs without the figure come last.",
        ),
    ] = "-created_at",
    limit: Annotated[int, Query(ge=1, le=200, description="Runs per page.")] = 50,
    offset: Annotated[Position, Query(description="Runs to skip: the page times the limit.")] = 0,
) -> Page[RunListItem]:
    """The runs list: each run with its progress, best validation loss, headline metric and a loss sparkline."""
    filters = RunFilters(status, dataset_id, base_model, preset_id, q, tag)
    items, total = listing.list_runs(session, user, filters, sort, limit, offset)
    places = queue.queue_notes(session, user)
    return Page(
        items=[
            item.model_copy(update={"queue_position": places[item.id][0], "queue_note": places[item.id][1]})
            if item.id in places
            else item
            for item in items
        ],
        total=total,
    )


@router.get(
    "/compare",
    response_model=RunComparisonOut,
    operation_id="compareRuns",
    responses=error_responses(NotFound, Invalid),
)
def compare_runs(
    session: SessionDep,
    user: CurrentUser,
    ids: Annotated[str, id_list_query("run", compare.MIN_COMPARED, compare.MAX_COMPARED)],
) -> RunComparisonOut:
    """Runs side by side: the settings that differ between them (dataset, base model, preset, hyperparameters),
    their final and best validation loss against their base model's, and their automatic test evaluations' metrics
    (fine-tuned and base) with intervals. Their curves come from GET /api/runs/{id}/metrics."""
    return compare.compare_runs(session, user, compare.parse_ids(ids))


@router.get("/{run_id}", response_model=RunOut, operation_id="getRun", responses=error_responses(NotFound))
def get_run(session: SessionDep, storage: StorageDep, user: CurrentUser, run: RunDep) -> RunOut:
    return _described(session, storage, user, [run])[0]


@router.patch(
    "/{run_id}", response_model=RunOut, operation_id="updateRun", responses=error_responses(NotFound, Invalid)
)
def update_run(session: SessionDep, storage: StorageDep, user: CurrentUser, run: RunDep, request: RunUpdate) -> RunOut:
    """Rename a run, replace its tags or note, or set its webhook (a member's only to a public address)."""
    return _described(session, storage, user, [listing.update_run(session, user, run, request)])[0]


@router.post(
    "/{run_id}/clone",
    status_code=status.HTTP_201_CREATED,
    response_model=RunOut,
    operation_id="cloneRun",
    responses=error_responses(NotFound, Conflict, Invalid),
)
def clone_run(session: SessionDep, user: CreatorUser, run: RunDep, request: RunClone | None = None) -> Run:
    """Queue the run again with its exact resolved configuration, dataset split, base model and preset snapshot."""
    return service.clone_run(session, user, run, request or RunClone())


@router.post(
    "/{run_id}/resume",
    response_model=RunOut,
    operation_id="resumeRun",
    responses=error_responses(NotFound, Conflict),
)
def resume_run(session: SessionDep, storage: StorageDep, user: CreatorUser, run: RunDep) -> RunOut:
    """Queue a failed or cancelled run again, to continue from its latest checkpoint still on disk: the metrics up to
    that step stay. 409 when it is not failed or cancelled, has no checkpoint left, or its dataset was split again."""
    resumed = lifecycle.resume_run(session, storage, run)
    return _described(session, storage, user, [resumed])[0]


@router.delete(
    "/{run_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteRun",
    responses=error_responses(NotFound),
)
def delete_run(session: SessionDep, storage: StorageDep, user: CreatorUser, run: RunDep) -> None:
    """Delete the run with everything recorded about it (metrics, log, checkpoints, evaluations, reviews) and its files
    (weights, checkpoints). A queued or running run is cancelled first."""
    lifecycle.delete_run(session, storage, run)


@router.post(
    "/{run_id}/cancel",
    response_model=RunOut,
    operation_id="cancelRun",
    responses=error_responses(NotFound, Conflict),
)
def cancel_run(session: SessionDep, run: RunDep) -> Run:
    """A queued run is cancelled at once (its webhooks are told); a running one stops at its next step."""
    cancelled = service.cancel_run(session, run)
    session.commit()  # before the webhooks' task is sent and the streams told: they must find the run cancelled
    if cancelled.status.finished:
        announce(cancelled.id, cancelled.status, cancelled.webhook_url)
    notify_run_changed(cancelled.id)
    return cancelled


@router.get(
    "/{run_id}/metrics",
    response_model=Page[MetricOut],
    operation_id="listRunMetrics",
    responses=error_responses(NotFound),
)
def list_metrics(session: SessionDep, run: RunDep, after_id: Position = 0) -> Page[MetricOut]:
    metrics = service.list_metrics(session, run, after_id)
    return Page(items=[MetricOut.model_validate(m) for m in metrics], total=len(metrics))


@router.get(
    "/{run_id}/log",
    response_model=Page[RunLogLineOut],
    operation_id="listRunLogLines",
    responses=error_responses(NotFound),
)
def list_log_lines(session: SessionDep, run: RunDep, after_id: Position = 0) -> Page[RunLogLineOut]:
    """The run's log, oldest first: every line the worker wrote, with its kind (progress lines are many)."""
    lines = service.list_log_lines(session, run, after_id)
    return Page(items=[RunLogLineOut.model_validate(line) for line in lines], total=len(lines))


@router.get(
    "/{run_id}/pinned-answers",
    response_model=Page[PinnedExampleOut],
    operation_id="listPinnedAnswers",
    responses=error_responses(NotFound),
)
def list_pinned_answers(session: SessionDep, run: RunDep) -> Page[PinnedExampleOut]:
    """Answers during training: the pinned validation examples' greedy answers at each evaluation step."""
    examples = service.list_pinned_answers(session, run)
    return Page(items=examples, total=len(examples))


@router.get(
    "/{run_id}/events",
    operation_id="streamRunEvents",
    responses={
        200: {
            "model": RunEvent,
            "content": {"text/event-stream": {"schema": {"$ref": "#/components/schemas/RunEvent"}}},
            "description": "One RunEvent per SSE message (its data; the SSE event name is its type).",
        },
        **error_responses(NotFound, Invalid),
    },
)
async def stream_events(
    run: RunDep,
    feeds: RunFeedsDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    """Server-Sent Events: every metric and log line after Last-Event-ID, then status changes, until the run ends."""
    cursor = Cursor.parse(last_event_id)
    # The session behind `run` closes before the stream starts (its scope is the function): none is held open while
    # it streams. It is the one session of the request: a second one while it holds its connection would let a
    # burst of clients take every pooled connection and wait for ever for another.
    run_id = run.id

    async def _encoded() -> AsyncIterator[bytes]:
        async for batch in run_events(run_id, cursor, feeds):
            yield b"".join(event.sse_message(event.type, str(after)) for event, after in batch)

    return EventSourceResponse(_encoded(), ping=15)

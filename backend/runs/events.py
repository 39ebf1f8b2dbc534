"""The live event stream of a run, read from the database so any number of API processes and workers agree."""

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.errors import Invalid
from backend.core.params import MAX_ID
from backend.models import Run, User
from backend.runs.schemas import (
    AnyRunEvent,
    LogLineEvent,
    LogLinePayload,
    MetricEvent,
    MetricPayload,
    ReconnectEvent,
    StatusEvent,
    StatusPayload,
)
from backend.runs.service import get_run, list_log_lines, list_metrics


@dataclass(frozen=True)
class Cursor:
    """How far a client has read a run's stream: the last metric and the last log line it received.

    Sent as the SSE id of every message ("<metric id>-<log id>"), so the Last-Event-ID a reconnecting EventSource
    sends back resumes both. A bare "<metric id>" is what streams sent before the run log existed.
    """

    metric_id: int = 0
    log_id: int = 0

    @classmethod
    def parse(cls, header: str | None) -> "Cursor":
        if not header:
            return cls()
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", header.strip())
        ids = (int(match[1]), int(match[2] or 0)) if match else None
        # The ids are compared with INTEGER columns: a larger one (never sent) would overflow there.
        if ids is None or max(ids) > MAX_ID:
            raise Invalid(f"Last-Event-ID {header!r} is not one this stream sent", field="Last-Event-ID")
        return cls(*ids)

    def __str__(self) -> str:
        return f"{self.metric_id}-{self.log_id}"


def status_event(run: Run) -> StatusEvent:
    return StatusEvent(
        run_id=run.id,
        payload=StatusPayload(
            status=run.status,
            status_message=run.status_message,
            error=run.error,
            base_eval_loss=run.base_eval_loss,
            unquantised_base_eval_loss=run.unquantised_base_eval_loss,
            final_eval_loss=run.final_eval_loss,
        ),
    )


def ensure_run_exists(run_id: int, user: User) -> None:
    with get_sessionmaker()() as session:
        get_run(session, run_id, user)


def _poll(run_id: int, cursor: Cursor) -> tuple[Run, list[tuple[AnyRunEvent, Cursor]]]:
    """The run, and what was added after `cursor`, each with the cursor that follows it."""
    with get_sessionmaker()() as session:
        run = session.get_one(Run, run_id)
        events: list[tuple[AnyRunEvent, Cursor]] = []
        for metric in list_metrics(session, run, cursor.metric_id):
            cursor = Cursor(metric.id, cursor.log_id)
            payload = MetricPayload(name=metric.name, value=metric.value, epoch=metric.epoch)
            events.append((MetricEvent(id=metric.id, run_id=run_id, step=metric.step, payload=payload), cursor))
        for entry in list_log_lines(session, run, cursor.log_id):
            cursor = Cursor(cursor.metric_id, entry.id)
            line = LogLinePayload(kind=entry.kind, message=entry.message, time=entry.time)
            events.append((LogLineEvent(id=entry.id, run_id=run_id, step=entry.step, payload=line), cursor))
        return run, events


async def run_events(run_id: int, cursor: Cursor) -> AsyncIterator[tuple[AnyRunEvent, Cursor]]:
    """Metrics and log lines after the client's cursor, then status changes, until the run finishes. Each event
    comes with the cursor to resume after it.

    The connection is capped: proxies and load balancers drop long-lived streams, so after
    sse_max_connection_seconds we say "reconnect" and the browser's EventSource resumes from its last id.
    """
    settings = get_settings()
    deadline = time.monotonic() + settings.sse_max_connection_seconds
    last_status: StatusPayload | None = None
    while True:
        run, events = await run_in_threadpool(_poll, run_id, cursor)
        for event, after in events:
            cursor = after
            yield event, cursor
        status = status_event(run)
        if status.payload != last_status:
            last_status = status.payload
            yield status, cursor
        if run.status.finished:
            return
        if time.monotonic() > deadline:
            yield ReconnectEvent(run_id=run_id), cursor
            return
        await asyncio.sleep(settings.sse_poll_seconds)

"""The live event stream of a run, read from the database so any number of API processes and workers agree."""

import asyncio
import time
from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.models import Run
from backend.runs.schemas import RunEvent
from backend.runs.service import get_run, list_metrics


def status_event(run: Run) -> RunEvent:
    return RunEvent(
        id=None,
        type="status",
        run_id=run.id,
        step=None,
        payload={
            "status": run.status.value,
            "status_message": run.status_message,
            "error": run.error,
            "base_eval_loss": run.base_eval_loss,
            "final_eval_loss": run.final_eval_loss,
        },
    )


def ensure_run_exists(run_id: int) -> None:
    with get_sessionmaker()() as session:
        get_run(session, run_id)


def _poll(run_id: int, after_metric_id: int) -> tuple[Run, list[RunEvent]]:
    with get_sessionmaker()() as session:
        run = session.get_one(Run, run_id)
        metrics = list_metrics(session, run, after_metric_id)
        events = [
            RunEvent(
                id=metric.id,
                type="metric",
                run_id=run_id,
                step=metric.step,
                payload={"name": metric.name, "value": metric.value, "epoch": metric.epoch},
            )
            for metric in metrics
        ]
        return run, events


async def run_events(run_id: int, last_event_id: int) -> AsyncIterator[RunEvent]:
    """Metrics after the client's Last-Event-ID, then status changes, until the run finishes.

    The connection is capped: proxies and load balancers drop long-lived streams, so after
    sse_max_connection_seconds we say "reconnect" and the browser's EventSource resumes from its last id.
    """
    settings = get_settings()
    deadline = time.monotonic() + settings.sse_max_connection_seconds
    last_status: dict[str, object] | None = None
    while True:
        run, events = await run_in_threadpool(_poll, run_id, last_event_id)
        for event in events:
            last_event_id = event.id or last_event_id
            yield event
        status = status_event(run)
        if status.payload != last_status:
            last_status = status.payload
            yield status
        if run.status.finished:
            return
        if time.monotonic() > deadline:
            yield RunEvent(id=None, type="reconnect", run_id=run_id, step=None, payload={})
            return
        await asyncio.sleep(settings.sse_poll_seconds)

"""An evaluation's live progress as Server-Sent Events, read from the database like a run's stream."""

import asyncio
import time
from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.evaluations.schemas import EvaluationOut
from backend.models import Evaluation


def _read(evaluation_id: int) -> EvaluationOut:
    with get_sessionmaker()() as session:
        return EvaluationOut.model_validate(session.get_one(Evaluation, evaluation_id))


async def evaluation_events(evaluation_id: int) -> AsyncIterator[EvaluationOut | None]:
    """The evaluation whenever its status or progress changes, until it finishes. None when the connection is due to
    close (proxies drop long-lived streams): the client reconnects, as a run's stream asks it to."""
    settings = get_settings()
    deadline = time.monotonic() + settings.sse_max_connection_seconds
    last: tuple[object, ...] | None = None
    while True:
        evaluation = await run_in_threadpool(_read, evaluation_id)
        state = (evaluation.status, evaluation.done, evaluation.cancel_requested)
        if state != last:
            last = state
            yield evaluation
        if evaluation.status.finished:
            return
        if time.monotonic() > deadline:
            yield None
            return
        await asyncio.sleep(settings.sse_poll_seconds)

"""The live event stream of a run, read from the database so any number of API processes and workers agree.

Each API process reads a followed run once per change for all its clients of that run (a RunFeed), woken by the
worker's notices on Redis when Redis is the broker (backend.core.run_notices), else by polling. A notice only says
"read again": every event a client gets comes from the database, after the ids it already has.
"""

import asyncio
import itertools
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated

import redis
import redis.asyncio
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.errors import Invalid
from backend.core.params import MAX_ID
from backend.core.run_notices import run_channel
from backend.models import Run
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
from backend.runs.service import list_log_lines, list_metrics

log = logging.getLogger(__name__)

RecordedEvent = MetricEvent | LogLineEvent
# With Redis, a followed run is also read this often without a notice: one lost while Redis restarted shows by then.
NOTICE_SAFETY_POLL_SECONDS = 10.0
# Readings waiting for one client. A client that falls this far behind (a stalled connection) misses the next ones
# and, seeing the gap, reads for itself once it moves again: memory stays bounded and nothing is lost.
MAX_PENDING_READINGS = 64


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

    def covers(self, other: "Cursor") -> bool:
        """Everything up to `other` was received (a run's ids grow in commit order: one worker writes it)."""
        return self.metric_id >= other.metric_id and self.log_id >= other.log_id

    def is_new(self, event: RecordedEvent) -> bool:
        return event.id > (self.metric_id if isinstance(event, MetricEvent) else self.log_id)

    def after(self, event: RecordedEvent) -> "Cursor":
        if isinstance(event, MetricEvent):
            return Cursor(event.id, self.log_id)
        return Cursor(self.metric_id, event.id)


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


# Orders the reads of this process: a reading started before one a client already applied is older than what that
# client has (its status above all) and is skipped.
_read_numbers = itertools.count()


@dataclass(frozen=True)
class Reading:
    """One read of a run: its status, and the metrics and log lines committed after `start`, oldest first."""

    number: int
    start: Cursor
    status: StatusEvent
    finished: bool
    events: list[RecordedEvent]

    @property
    def end(self) -> Cursor:
        cursor = self.start
        for event in self.events:
            cursor = cursor.after(event)
        return cursor


def _read(number: int, run_id: int, start: Cursor) -> Reading:
    with get_sessionmaker()() as session:
        run = session.get_one(Run, run_id)
        events: list[RecordedEvent] = [
            MetricEvent(
                id=metric.id,
                run_id=run_id,
                step=metric.step,
                payload=MetricPayload(name=metric.name, value=metric.value, epoch=metric.epoch, time=metric.time),
            )
            for metric in list_metrics(session, run, start.metric_id)
        ]
        events += [
            LogLineEvent(
                id=entry.id,
                run_id=run_id,
                step=entry.step,
                payload=LogLinePayload(kind=entry.kind, message=entry.message, time=entry.time),
            )
            for entry in list_log_lines(session, run, start.log_id)
        ]
        return Reading(number, start, status_event(run), run.status.finished, events)


async def read_after(run_id: int, start: Cursor) -> Reading:
    return await run_in_threadpool(_read, next(_read_numbers), run_id, start)


class _Polling:
    """The embedded default's wake-ups: none are sent, so read every sse_poll_seconds."""

    async def open(self) -> None:
        pass

    async def wait(self) -> None:
        await asyncio.sleep(get_settings().sse_poll_seconds)

    async def aclose(self) -> None:
        pass


class _Notices:
    """The run's channel on Redis: this process's one subscription for the run, whatever its number of clients."""

    def __init__(self, client: redis.asyncio.Redis, run_id: int) -> None:
        self.pubsub = client.pubsub()
        self.channel = run_channel(run_id)

    async def open(self) -> None:
        try:
            await self.pubsub.subscribe(self.channel)
        except redis.RedisError as exc:
            log.warning("%s: cannot subscribe (%s); polling until Redis answers", self.channel, exc)

    async def wait(self) -> None:
        try:
            if not self.pubsub.subscribed:
                await asyncio.sleep(get_settings().sse_poll_seconds)
                await self.pubsub.subscribe(self.channel)
                return
            await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=NOTICE_SAFETY_POLL_SECONDS)
            # Notices that came meanwhile are answered by the same read.
            while await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=0) is not None:
                pass
        except redis.RedisError as exc:
            # Notices sent while the connection was down are lost: poll meanwhile; the next call reconnects (and
            # subscribes again).
            log.warning("%s: %s; polling until Redis answers", self.channel, exc)
            await asyncio.sleep(get_settings().sse_poll_seconds)

    async def aclose(self) -> None:
        await self.pubsub.aclose()


@dataclass(eq=False)
class Follower:
    """One client's place in a feed: the readings the feed made since the client joined."""

    feed: "RunFeed"
    readings: asyncio.Queue[Reading] = field(default_factory=lambda: asyncio.Queue(MAX_PENDING_READINGS))


class RunFeed:
    """A run followed by this process: read once per change, each reading handed to every follower."""

    def __init__(self, run_id: int, wake_ups: _Polling | _Notices) -> None:
        self.run_id = run_id
        self.followers: set[Follower] = set()
        self._wake_ups = wake_ups
        self._task: asyncio.Task[None] | None = None

    def start(self, cursor: Cursor) -> None:
        """Follow the run from `cursor` on (the first client's, once it has read up to there); no-op once started."""
        if self._task is None:
            self._task = asyncio.create_task(self._follow(cursor), name=f"run {self.run_id} feed")

    @property
    def done(self) -> bool:
        return self._task is not None and self._task.done()

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _follow(self, cursor: Cursor) -> None:
        last_status: StatusPayload | None = None
        try:
            # Subscribed before the first read: whatever is committed after that read sends a notice we hear.
            await self._wake_ups.open()
            while True:
                reading = await read_after(self.run_id, cursor)
                cursor = reading.end
                if reading.events or reading.status.payload != last_status:
                    last_status = reading.status.payload
                    for follower in self.followers:
                        if not follower.readings.full():
                            follower.readings.put_nowait(reading)
                if reading.finished:
                    return
                await self._wake_ups.wait()
        finally:
            await self._wake_ups.aclose()


class RunFeeds:
    """This API process's feeds, one per run its clients follow: created with the first client, gone with the
    last."""

    def __init__(self, redis_url: str | None) -> None:
        self._redis = redis.asyncio.Redis.from_url(redis_url) if redis_url else None
        self._feeds: dict[int, RunFeed] = {}

    @contextmanager
    def follow(self, run_id: int) -> Iterator[Follower]:
        feed = self._feeds.get(run_id)
        if feed is None or feed.done:  # done: the run finished, and has been queued again since
            wake_ups = _Notices(self._redis, run_id) if self._redis else _Polling()
            feed = self._feeds[run_id] = RunFeed(run_id, wake_ups)
        follower = Follower(feed)
        feed.followers.add(follower)
        try:
            yield follower
        finally:
            feed.followers.discard(follower)
            if not feed.followers and self._feeds.get(run_id) is feed:
                del self._feeds[run_id]
                feed.stop()

    async def aclose(self) -> None:
        for feed in self._feeds.values():
            feed.stop()
        if self._redis is not None:
            await self._redis.aclose()


def get_run_feeds(request: Request) -> RunFeeds:
    """The process's feeds, made by the app's lifespan (backend.main)."""
    feeds: RunFeeds = request.app.state.run_feeds
    return feeds


RunFeedsDep = Annotated[RunFeeds, Depends(get_run_feeds)]


EventBatch = list[tuple[AnyRunEvent, Cursor]]


async def run_events(run_id: int, cursor: Cursor, feeds: RunFeeds) -> AsyncIterator[EventBatch]:
    """Metrics and log lines after the client's cursor, then status changes, until the run finishes: a batch per
    reading (sent in one write: 200 clients of a run cost 200 writes per reading, not 200 per event). Each event
    comes with the cursor to resume after it.

    The connection is capped: proxies and load balancers drop long-lived streams, so after
    sse_max_connection_seconds we say "reconnect" and the browser's EventSource resumes from its last id.
    """
    deadline = time.monotonic() + get_settings().sse_max_connection_seconds
    last_status: StatusPayload | None = None
    with feeds.follow(run_id) as follower:
        # Joined before reading: a reading the feed makes from here on reaches this client too.
        reading = await read_after(run_id, cursor)
        follower.feed.start(reading.end)
        applied = reading.number
        while True:
            batch: EventBatch = []
            for event in reading.events:
                if cursor.is_new(event):
                    cursor = cursor.after(event)
                    batch.append((event, cursor))
            if reading.status.payload != last_status:
                last_status = reading.status.payload
                batch.append((reading.status, cursor))
            if batch:
                yield batch
            if reading.finished:
                return
            while True:
                try:
                    reading = await asyncio.wait_for(follower.readings.get(), deadline - time.monotonic())
                except TimeoutError:
                    yield [(ReconnectEvent(run_id=run_id), cursor)]
                    return
                if reading.number > applied:
                    break  # else the client's own read came after it: it has all of it, and a newer status
            if not cursor.covers(reading.start):
                # Events between what the client has and this reading are missing (it joined while the feed was
                # reading, or fell MAX_PENDING_READINGS behind): read them, and all since, for itself.
                reading = await read_after(run_id, cursor)
            applied = reading.number

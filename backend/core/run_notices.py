"""Notices that a run's live stream has something new, published on Redis right after the write is committed.

With Redis as the broker, each API process subscribes to the channel of every run its clients follow and reads the
database when a notice comes, instead of once a second (backend.runs.events). A notice is only a wake-up: the database
holds the events and the stream always reads them from there, after the ids it sent, so a notice that is lost or
comes twice costs latency, never a gap or a duplicate. Without Redis (the embedded default) nothing is published and
the stream polls.
"""

import logging
from functools import lru_cache

import redis
from redis.connection import parse_url

from backend.core.config import get_settings

log = logging.getLogger(__name__)

# A publish runs on the training thread (log lines) or the metric flusher: a frozen Redis must cost it at most this,
# once; a healthy one answers in well under a millisecond.
PUBLISH_TIMEOUT_SECONDS = 0.5


def run_channel(run_id: int) -> str:
    """The run's channel, named with the Redis database the studio uses: Pub/Sub channels are shared by all of a
    server's databases, so two studios on one Redis would otherwise wake each other's streams for runs that happen
    to share an id (harmless but wasted reads; and a test reading notices would take the other's for its own)."""
    url = get_settings().redis_url
    database = parse_url(url).get("db", 0) if url is not None else 0
    return f"studio:{database}:runs:{run_id}:changed"


@lru_cache
def _publisher(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=PUBLISH_TIMEOUT_SECONDS, socket_connect_timeout=PUBLISH_TIMEOUT_SECONDS
    )


def notify_run_changed(run_id: int) -> None:
    """Tell the API processes following `run_id` to read it again. Call it after the commit: a process woken before
    would read nothing new. A Redis out of reach is logged; the streams still poll now and then."""
    url = get_settings().redis_url
    if url is None:
        return
    try:
        _publisher(url).publish(run_channel(run_id), b"")
    except redis.RedisError as exc:
        log.warning("run %s: could not publish its change notice (%s); streams fall back to polling", run_id, exc)

"""Which workers are alive. Workers write their own rows (worker.registry); the API only reads them."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.config import get_settings
from backend.core.queue import TRAINING_QUEUE
from backend.models import Worker, utcnow

# A worker refreshes its row every reaper interval: missing three in a row, it is taken as gone (killed, frozen or
# cut off) even though its row is still there.
MISSED_INTERVALS = 3


def stale_after() -> timedelta:
    return timedelta(seconds=MISSED_INTERVALS * get_settings().reaper_seconds)


def list_live_workers(session: Session, *, training_only: bool = False) -> list[Worker]:
    """Workers seen within the last three reaper intervals, the longest running first."""
    workers = session.scalars(
        select(Worker).where(Worker.last_seen_at >= utcnow() - stale_after()).order_by(Worker.started_at, Worker.id)
    ).all()
    # A handful of rows: filtering the JSON list here works the same on SQLite and PostgreSQL.
    return [w for w in workers if not training_only or TRAINING_QUEUE in w.queues]

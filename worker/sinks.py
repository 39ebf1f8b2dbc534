"""Where a training run reports to in the studio: the database, which the API streams from."""

from collections.abc import Mapping

from sqlalchemy import insert, select, update

from backend.core.db import get_sessionmaker
from backend.models import Metric, Run


class DatabaseSink:
    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.sessions = get_sessionmaker()

    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        rows = [
            {"run_id": self.run_id, "step": step, "epoch": epoch, "name": name, "value": float(value)}
            for name, value in values.items()
        ]
        if not rows:
            return
        with self.sessions.begin() as session:
            session.execute(insert(Metric), rows)

    def event(self, message: str) -> None:
        with self.sessions.begin() as session:
            session.execute(update(Run).where(Run.id == self.run_id).values(status_message=message[:2000]))

    def cancel_requested(self) -> bool:
        with self.sessions() as session:
            return bool(session.scalar(select(Run.cancel_requested).where(Run.id == self.run_id)))

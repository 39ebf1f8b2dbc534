"""A migrated database holding one running run, claimed by a bench "worker", and an admin's API token: what the
live-stream benches write to and read from. Call after the STUDIO_ environment is set (the settings read it once)."""

from sqlalchemy import select

from backend.auth.schemas import ApiTokenCreate
from backend.auth.service import create_api_token
from backend.core.db import get_sessionmaker
from backend.models import Dataset, Role, Run, RunStatus, User
from bench.runs_list import migrate

OWNER = "bench-worker"


def prepare(database_url: str) -> str:
    """Migrate the database and make its admin; the admin's API token."""
    migrate(database_url)
    with get_sessionmaker().begin() as session:
        user = User(name="bench", email="bench@studio.test", role=Role.ADMIN)
        session.add(user)
        session.flush()
        session.add(
            Dataset(
                owner_id=user.id,
                name="bench",
                format="jsonl",
                num_rows=100,
                num_train=85,
                num_validation=5,
                num_test=10,
                split_seed=0,
                split_hash="h",
                file_key="bench",
            )
        )
        _token, secret = create_api_token(session, user, ApiTokenCreate(name="bench"))
    return secret


def new_running_run() -> int:
    """A run that the bench worker (OWNER) holds, as a claimed run is: a fresh one per measured round."""
    with get_sessionmaker().begin() as session:
        user_id, dataset_id = session.execute(select(Dataset.owner_id, Dataset.id).where(Dataset.name == "bench")).one()
        run = Run(
            owner_id=user_id,
            name="live",
            dataset_id=dataset_id,
            base_model="bench",
            config={},
            split_hash="h",
            status=RunStatus.RUNNING,
            status_message="training",
            lease_owner=OWNER,
        )
        session.add(run)
        session.flush()
        return run.id

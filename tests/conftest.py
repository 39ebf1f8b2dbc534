"""The two stacks every API test runs on: the embedded default and the production services, both real."""

import os
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Before anything imports the settings or transformers: no network, and a throwaway data dir.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["STUDIO_DATA_DIR"] = tempfile.mkdtemp(prefix="studio-test-")
# The test client's host, and the temporary folders tests register models from.
os.environ["STUDIO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
os.environ["STUDIO_MODEL_ROOTS"] = tempfile.gettempdir()

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from backend.auth.limits import signin_limiter
from backend.core.config import get_settings
from backend.core.db import get_engine, get_sessionmaker, make_engine
from backend.core.queue import get_celery
from backend.core.secret_key import clear_key_cache
from backend.models import Role
from tests.accounts import ADMIN_EMAIL, Account, create_account
from tests.processes import celery_worker

REPO = Path(__file__).resolve().parents[1]
# Overridable so that two checkouts can run their suites at once without dropping each other's schema. Under
# pytest-xdist each process gets its own database and Redis db ("gw1": test_gw1 and db 14), created on first use.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_postgres = make_url(os.environ.get("STUDIO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
_redis = make_url(os.environ.get("STUDIO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
if XDIST_WORKER:
    _postgres = _postgres.set(database=f"{_postgres.database}_{XDIST_WORKER}")
    _redis = _redis.set(database=str(int(_redis.database or 0) - int(XDIST_WORKER.removeprefix("gw"))))
POSTGRES_URL = _postgres.render_as_string(hide_password=False)
REDIS_URL = _redis.render_as_string(hide_password=False)


@dataclass(frozen=True)
class Stack:
    name: str
    data_dir: Path
    database_url: str
    broker_url: str

    def env(self) -> dict[str, str]:
        return {
            "STUDIO_DATA_DIR": str(self.data_dir),
            "STUDIO_DATABASE_URL": self.database_url,
            "STUDIO_BROKER_URL": self.broker_url,
        }


def _reachable(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def reset_caches() -> None:
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    for cached in (get_settings, get_engine, get_sessionmaker, get_celery, signin_limiter):
        cached.cache_clear()
    clear_key_cache()


def _create_database_once() -> None:
    """The xdist process's own database, next to the default one."""
    database = make_url(POSTGRES_URL).database
    server = create_engine(make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}):
            connection.execute(text(f'CREATE DATABASE "{database}"'))
    server.dispose()


def _reset_production_services() -> None:
    if XDIST_WORKER:
        _create_database_once()
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def make_stack(name: str, data_dir: Path) -> Stack:
    if name == "production":
        if not _reachable(5432):
            pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 (.ci/run starts it)")
        if not _reachable(6379):
            pytest.skip("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
        _reset_production_services()
        return Stack(name, data_dir, POSTGRES_URL, REDIS_URL)
    return Stack(
        name, data_dir, f"sqlite:///{data_dir / 'studio.sqlite'}", f"sqla+sqlite:///{data_dir / 'broker.sqlite'}"
    )


@pytest.fixture(params=["embedded", "production"])
def stack(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """A migrated, empty database and broker: SQLite + SQLite transport, or PostgreSQL + Redis."""
    current = make_stack(request.param, tmp_path / "data")
    for key, value in current.env().items():
        monkeypatch.setenv(key, value)
    reset_caches()
    config = Config(str(REPO / "alembic.ini"))
    command.upgrade(config, "head")
    yield current
    reset_caches()


@pytest.fixture
def admin(stack: Stack) -> Account:
    return create_account(ADMIN_EMAIL, Role.ADMIN)


@pytest.fixture
def anonymous_client(stack: Stack) -> Iterator[TestClient]:
    """The API with no credentials."""
    from backend.main import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def client(stack: Stack, admin: Account) -> Iterator[TestClient]:
    """The API as the studio's admin (its API token on every request)."""
    from backend.main import create_app

    with TestClient(create_app(), headers=admin.headers) as test_client:
        yield test_client


@pytest.fixture
def light_worker(stack: Stack, tmp_path: Path) -> Iterator[Path]:
    """A real worker of the light queue (token counts) on the test's stack; yields its log."""
    log = tmp_path / "light-worker.log"
    with celery_worker(stack.env(), log, queue="light"):
        yield log


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Llama with its tokenizer, saved once per session: fast stand-in for a real base model."""
    from tests.tiny_model import build_tiny_llama  # torch: only for the tests that train or tokenise

    return build_tiny_llama(tmp_path_factory.mktemp("models") / "tiny-llama")

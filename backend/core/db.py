"""Engine, sessions and the one request-scoped session dependency."""

import asyncio
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated, Any
from weakref import WeakKeyDictionary

import anyio
from anyio.to_thread import run_sync
from fastapi import Depends
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from backend.core.config import get_settings

# A request holds its session's connection between the thread-pool calls that run its dependencies, its route and its
# commit, and needs a free thread for each. Were more requests to hold connections than the pool has, threads would
# wait for a connection while the holders wait for a thread: a burst of streams hung that way. So at most
# REQUEST_SESSIONS requests hold a session at once (the rest queue, fairly, without a thread), fewer than the pool's
# connections (the rest serve sessions opened outside requests) and than AnyIO's 40 threads.
REQUEST_SESSIONS = 20
POOL = {"pool_size": REQUEST_SESSIONS, "max_overflow": 10}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # The API and the worker write the same file at once: WAL lets readers run beside a writer,
        # and the busy timeout makes a second writer wait instead of failing with "database is locked".
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **POOL)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **POOL)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(get_engine(), expire_on_commit=False)


_request_sessions: WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.Semaphore] = WeakKeyDictionary()


def request_sessions() -> anyio.Semaphore:
    """The slots for request sessions (above): one set per event loop, since a semaphore's waiters belong to a loop."""
    loop = asyncio.get_running_loop()
    if loop not in _request_sessions:
        _request_sessions[loop] = anyio.Semaphore(REQUEST_SESSIONS)
    return _request_sessions[loop]


async def get_session() -> AsyncIterator[Session]:
    """Commit when the route succeeds, roll back when it raises; before the response is sent (scope below).

    The slot is taken in the event loop, before any thread: waiting for it never holds a thread or a connection.
    """
    async with request_sessions():
        session = get_sessionmaker()()
        try:
            yield session
            await run_sync(session.commit)
        except Exception:
            await run_sync(session.rollback)
            raise
        finally:
            await run_sync(session.close)


# scope="function": the commit happens before the client gets its answer, so a read that follows a 201 sees the row.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

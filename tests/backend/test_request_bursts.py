"""A burst of requests on one API token, as 200 browser tabs or a script's fan-out make: every request is answered.

Each request holds its database session between the thread-pool calls that run it, so a burst larger than the pool
once left every thread waiting for a connection (or for the token's row lock) while the holders waited for a thread."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from backend.core.db import REQUEST_SESSIONS, get_sessionmaker
from backend.models import ApiToken
from tests.accounts import Account
from tests.conftest import Stack
from tests.factories import create_dataset
from tests.processes import api_server

STREAMS, READS = 120, 80  # together ten times the request sessions
assert STREAMS + READS >= 10 * REQUEST_SESSIONS


@pytest.fixture
def server(stack: Stack, admin: Account, tmp_path: Path) -> Iterator[str]:
    with api_server(stack.env(), tmp_path / "api.log") as base_url:
        yield base_url


async def _first_status(client: httpx.AsyncClient, run_id: int) -> str:
    """Open the run's stream and read until its first status event, then hang up (a tab closed)."""
    async with client.stream("GET", f"/api/runs/{run_id}/events") as response:
        assert response.status_code == 200, await response.aread()
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                event = json.loads(line[5:])
                if event["type"] == "status":
                    return str(event["payload"]["status"])
    raise AssertionError("the stream ended without a status")


async def _burst(base_url: str, account: Account, run_id: int) -> tuple[list[str], list[int]]:
    limits = httpx.Limits(max_connections=STREAMS + READS)
    async with httpx.AsyncClient(base_url=base_url, headers=account.headers, timeout=60, limits=limits) as client:
        streams = [_first_status(client, run_id) for _ in range(STREAMS)]
        reads = [client.get("/api/runs", params={"limit": 5}) for _ in range(READS)]
        results = await asyncio.wait_for(asyncio.gather(*streams, *reads), 50)
    statuses = [result for result in results if isinstance(result, str)]
    codes = [result.status_code for result in results if isinstance(result, httpx.Response)]
    return statuses, codes


def test_a_burst_of_streams_and_reads_on_one_token_is_all_answered(
    client: TestClient, server: str, admin: Account
) -> None:
    dataset = create_dataset(client, count=12)
    run_id = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()["id"]
    with get_sessionmaker()() as session:
        # Never used: every request of the burst reads a stale time and sets out to record its use.
        session.execute(update(ApiToken).values(last_used_at=None))
        session.commit()

    statuses, codes = asyncio.run(_burst(server, admin, run_id))

    assert statuses == ["queued"] * STREAMS
    assert codes == [200] * READS
    with get_sessionmaker()() as session:
        assert all(token.last_used_at is not None for token in session.query(ApiToken))

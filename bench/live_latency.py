"""Worker write → SSE client latency of a run's live stream, with 1 and 200 clients on one run, with Redis notices
(PostgreSQL + Redis) and with the embedded default (SQLite, polling), and the API process's CPU while it serves them.

A real API process (uvicorn) serves the streams; a separate "worker" process writes through the real DatabaseSink,
three metric points per 0.2 s step, and records when each batch was committed. The clients (one asyncio process,
httpx, opened all at once) stamp each chunk as it arrives. Two latencies per point: committed → received (the
stream's own), and logged → received (what the user sees, with the sink's batching: the point's SSE `time` is when it
was logged).

Usage: python -m bench.live_latency --postgres postgresql+psycopg://postgres@127.0.0.1:5432/bench
       --redis redis://127.0.0.1:6379/11 [--steps 40] [--clients 1,200]
       (the PostgreSQL database's public schema is dropped and made again; the Redis db is not flushed)
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

STEP_SECONDS = 0.2


def write(steps: int, out: Path) -> None:
    """The worker side: a run's metric points through the real sink; (commit time, last metric id) per write."""
    from sqlalchemy import func, select

    from backend.core.config import get_settings
    from backend.core.db import get_sessionmaker
    from backend.core.storage import LocalStorage
    from backend.models import Metric, RunStatus
    from bench.live_run import OWNER
    from worker import run_store, sinks
    from worker.leases import Lease

    run_id = int(os.environ["BENCH_RUN_ID"])
    commits: list[tuple[float, int]] = []
    notify = sinks.notify_run_changed

    def recording_notify(changed: int) -> None:
        committed = time.time()
        notify(changed)
        with get_sessionmaker()() as session:
            last = session.scalar(select(func.max(Metric.id)).where(Metric.run_id == changed)) or 0
        commits.append((committed, last))

    sinks.notify_run_changed = recording_notify  # type: ignore[assignment]
    sink = sinks.DatabaseSink(Lease(run_id, owner=OWNER), LocalStorage(get_settings().storage_dir))
    for step in range(1, steps + 1):
        time.sleep(STEP_SECONDS)
        sink.metrics(step, None, {"train_loss": 1.0 / step, "learning_rate": 1e-4, "grad_norm": 0.5})
        sink.cancel_requested()
    sink.flush()
    run_store.finish(run_id, OWNER, RunStatus.SUCCEEDED, "done")
    out.write_text(json.dumps(commits))


async def _client(base_url: str, token: str, run_id: int, arrivals: dict[int, tuple[float, float]]) -> None:
    """One browser tab: each chunk is stamped as it arrives and parsed once the stream ends. A browser parses in its
    own tab; 200 streams parsed line by line in this one process would measure this process's queue instead."""
    headers = {"Authorization": f"Bearer {token}"}
    chunks: list[tuple[float, bytes]] = []
    async with (
        httpx.AsyncClient(timeout=120) as client,
        client.stream("GET", f"{base_url}/api/runs/{run_id}/events", headers=headers) as response,
    ):
        assert response.status_code == 200, await response.aread()
        async for chunk in response.aiter_raw():
            chunks.append((time.time(), chunk))
    buffer = b""
    for received, chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.startswith(b"data:") and b'"type":"metric"' in line:
                event = json.loads(line[5:])
                logged = datetime.fromisoformat(event["payload"]["time"]).timestamp()
                arrivals.setdefault(event["id"], (received, logged))


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _percentiles(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"p50 {statistics.median(values) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


async def measure(base_url: str, api_pid: int, token: str, clients: int, steps: int, env: dict[str, str]) -> str:
    from bench.live_run import new_running_run

    run_id = new_running_run()
    per_client: list[dict[int, tuple[float, float]]] = [{} for _ in range(clients)]
    tasks = []
    for arrivals in per_client:
        tasks.append(asyncio.create_task(_client(base_url, token, run_id, arrivals)))  # all at once: a burst
    await asyncio.sleep(3)  # every stream open and subscribed
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    cpu_before, started = _cpu_seconds(api_pid), time.monotonic()
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.live_latency", "--write", str(out), "--steps", str(steps),
        env={**os.environ, **env, "BENCH_RUN_ID": str(run_id)},
    )  # fmt: skip
    await writer.wait()
    await asyncio.wait_for(asyncio.gather(*tasks), 60)  # the streams end with the run
    cpu = (_cpu_seconds(api_pid) - cpu_before) / (time.monotonic() - started)
    commits: list[tuple[float, int]] = json.loads(out.read_text())
    from_commit, from_log = [], []
    for arrivals in per_client:
        for metric_id, (received, logged) in arrivals.items():
            committed = next(t for t, last in commits if last >= metric_id)
            from_commit.append(received - committed)
            from_log.append(received - logged)
    return (
        f"{clients} client(s), {len(from_commit)} points: committed → received {_percentiles(from_commit)}; "
        f"logged → received {_percentiles(from_log)}; API CPU {cpu:.1%} of a core"
    )


def _serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = 8700 + os.getpid() % 200
    command = [sys.executable, "-m", "uvicorn", "backend.main:app", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as sink:
        api = subprocess.Popen(command, env={**os.environ, **env}, stdout=sink, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if httpx.get(f"{base_url}/api/health", timeout=2).status_code == 200:
                return api, base_url
        except httpx.TransportError:
            time.sleep(0.5)
    raise RuntimeError(log.read_text())


def _stack(name: str, postgres: str, redis_url: str) -> dict[str, str]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-live-{name}-"))
    if name == "redis":
        from sqlalchemy import text

        from backend.core.db import make_engine

        engine = make_engine(postgres)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return {"STUDIO_DATA_DIR": str(data_dir), "STUDIO_DATABASE_URL": postgres, "STUDIO_BROKER_URL": redis_url}
    return {
        "STUDIO_DATA_DIR": str(data_dir),
        "STUDIO_DATABASE_URL": f"sqlite:///{data_dir / 'studio.sqlite'}",
        "STUDIO_BROKER_URL": f"sqla+sqlite:///{data_dir / 'broker.sqlite'}",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="")
    parser.add_argument("--redis", default="")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--clients", default="1,200")
    parser.add_argument("--stacks", default="redis,embedded")
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)  # the worker side, in its own process
    args = parser.parse_args()
    if args.write:
        write(args.steps, args.write)
        return
    for name in args.stacks.split(","):
        env = _stack(name, args.postgres, args.redis)
        os.environ.update(env)
        from backend.core.config import get_settings
        from backend.core.db import get_engine, get_sessionmaker
        from backend.core.secret_key import clear_key_cache
        from bench.live_run import prepare

        for cached in (get_settings, get_engine, get_sessionmaker):
            cached.cache_clear()
        clear_key_cache()  # the secret key (tokens' hashes) is the new data dir's
        token = prepare(env["STUDIO_DATABASE_URL"])
        api, base_url = _serve(env, Path(env["STUDIO_DATA_DIR"]) / "api.log")
        try:
            for clients in (int(c) for c in args.clients.split(",")):
                print(
                    f"{name}: " + asyncio.run(measure(base_url, api.pid, token, clients, args.steps, env)), flush=True
                )
        finally:
            api.terminate()
            api.wait(20)


if __name__ == "__main__":
    main()

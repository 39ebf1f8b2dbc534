"""What logging metrics costs a fast training step: the real DatabaseSink against a real database, driven by a loop
that sleeps 0.2 s per step (a fake step) and then does what the trainer's callback does (three metric points, the
cancel check). Batched (the sink's timer writes every METRIC_FLUSH_SECONDS) against a write per step (flush() after
each step: how the sink wrote before batching), interleaved, each `--repeats` times.

Prints the time the loop spends in the sink per step, as a share of the 0.2 s step (the budget: 2%), and how long the
batched writes take (the delay a point can have before anyone sees it: METRIC_FLUSH_SECONDS plus one write).

Usage: python -m bench.metric_writes [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/bench]
       [--redis redis://127.0.0.1:6379/11] [--steps 50] [--repeats 3]
       (without --postgres, SQLite in a temporary folder; the PostgreSQL database's public schema is dropped and made
       again; with --redis every write also publishes its notice, as in production)
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

STEP_SECONDS = 0.2


def measure(steps: int, batched: bool) -> tuple[float, list[float]]:
    """Seconds spent in the sink per step, and the duration of each write."""
    from backend.core.config import get_settings
    from backend.core.storage import LocalStorage
    from bench.live_run import OWNER, new_running_run
    from worker.leases import Lease
    from worker.sinks import DatabaseSink

    sink = DatabaseSink(Lease(new_running_run(), owner=OWNER), LocalStorage(get_settings().storage_dir))
    writes: list[float] = []
    write_pending = sink._write_pending

    def timed_write() -> None:
        started = time.perf_counter()
        write_pending()
        writes.append(time.perf_counter() - started)

    sink._write_pending = timed_write  # type: ignore[method-assign]
    in_sink = 0.0
    for step in range(1, steps + 1):
        time.sleep(STEP_SECONDS)
        started = time.perf_counter()
        sink.metrics(step, step / steps, {"train_loss": 1.0 / step, "learning_rate": 1e-4, "grad_norm": 0.5})
        sink.cancel_requested()
        if not batched:
            sink.flush()
        in_sink += time.perf_counter() - started
    sink.flush()
    return in_sink / steps, [w for w in writes if w > 0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="")
    parser.add_argument("--redis", default="")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-metric-writes-"))
    database_url = args.postgres or f"sqlite:///{data_dir / 'studio.sqlite'}"
    os.environ.update(STUDIO_DATA_DIR=str(data_dir), STUDIO_DATABASE_URL=database_url, STUDIO_BROKER_URL=args.redis)
    if args.postgres:
        from sqlalchemy import text

        from backend.core.db import make_engine

        engine = make_engine(args.postgres)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    from bench.live_run import prepare

    prepare(database_url)
    results: dict[bool, list[float]] = {True: [], False: []}
    write_times: list[float] = []
    for _ in range(args.repeats):
        for batched in (False, True):
            per_step, writes = measure(args.steps, batched)
            results[batched].append(per_step)
            if batched:
                write_times += writes
    print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; notices: {'Redis' if args.redis else 'none'}")
    for batched, label in ((False, "a write per step"), (True, "batched")):
        med = statistics.median(results[batched])
        print(
            f"{label:>17}: {med * 1000:.2f} ms in the sink per step (median of {args.repeats}; runs: "
            + ", ".join(f"{r * 1000:.2f}" for r in results[batched])
            + f") = {med / STEP_SECONDS:.2%} of a {STEP_SECONDS} s step"
        )
    write_times.sort()
    print(
        f"batched writes: {len(write_times)}, median {statistics.median(write_times) * 1000:.1f} ms, "
        f"max {write_times[-1] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()

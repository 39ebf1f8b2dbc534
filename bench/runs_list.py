"""How fast the runs list answers with 10,000 runs of ~200 metric points each, on SQLite and on PostgreSQL.

Fills a fresh database, migrated to head, with bulk inserts: 20 datasets, 10,000 runs (two owners, every status,
tags, the list's figures as the worker leaves them) and their metrics (training loss, validation loss and learning
rate: ~200 points a run, 2 million rows). Then times a page of 50 for several filter and sort combinations through the
list's service function, the response serialised as the API sends it, each `--repeat` times after a warm-up, and
prints p50 and p95. The metrics table is there for its size: the list never reads it.

Usage: python -m bench.runs_list [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/bench] [--runs 10000]
       (without --postgres, SQLite only; the PostgreSQL database's public schema is dropped and made again)
"""

import argparse
import math
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from backend.core.db import make_engine
from backend.core.schemas import Page
from backend.models import Dataset, Metric, Run, RunStatus, RunTag, User, utcnow
from backend.runs.listing import RunFilters, list_runs
from backend.runs.schemas import RunListItem
from domain import sparkline

ROOT = Path(__file__).resolve().parent.parent
TAGS = ["baseline", "lr-sweep", "qlora", "long", "keep", "ablation", "overnight", "v2"]
BASE_MODELS = ["smollm2-135m-instruct", "qwen2.5-0.5b", "llama-3.2-1b"]
STATUS_WEIGHTS = {
    RunStatus.SUCCEEDED: 70,
    RunStatus.FAILED: 10,
    RunStatus.CANCELLED: 8,
    RunStatus.RUNNING: 2,
    RunStatus.QUEUED: 10,
}
# (label, owner: "admin" sees everything, "member" only their half; the list's query parameters)
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("newest first (default)", "admin", {}),
    ("status succeeded, best val loss", "admin", {"statuses": ["succeeded"], "sort": "best_val_loss"}),
    ("search 'sweep 7', by name", "admin", {"q": "sweep 7", "sort": "name"}),
    ("tag, ROUGE-L change desc", "admin", {"tag": "lr-sweep", "sort": "-rouge_l_change"}),
    (
        "dataset + base model, duration desc",
        "admin",
        {"dataset_id": 3, "base_model": "qwen2.5-0.5b", "sort": "-duration"},
    ),
    ("member's runs, by status, page 60", "member", {"sort": "status", "offset": 3000}),
    ("by dataset name, page 100", "admin", {"sort": "dataset", "offset": 5000}),
]


def migrate(url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    command.upgrade(config, "head")


def _chunks(rows: list[dict[str, Any]], size: int = 20_000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def fill(engine: Engine, runs: int, points: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    now = utcnow()
    with Session(engine) as session:
        admin, member = User(name="admin", role="admin"), User(name="member")
        session.add_all([admin, member])
        session.flush()
        datasets = [
            Dataset(
                owner_id=admin.id,
                name=f"dataset {n:02d}",
                format="jsonl",
                num_rows=1000,
                num_train=850,
                num_validation=50,
                num_test=100,
                split_seed=0,
                split_hash="h",
                file_key=f"d{n}",
            )
            for n in range(1, 21)
        ]
        session.add_all(datasets)
        session.flush()
        run_rows, metric_series = [], []
        for n in range(runs):
            status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
            created = now - timedelta(minutes=(runs - n) * 7)
            started = None if status == RunStatus.QUEUED else created + timedelta(seconds=rng.randint(5, 600))
            steps = points if status != RunStatus.QUEUED else 0
            start_loss, floor = rng.uniform(1.5, 3.0), rng.uniform(0.2, 0.9)
            train = [
                (s, floor + (start_loss - floor) * math.exp(-s / 60) + rng.gauss(0, 0.03)) for s in range(1, steps)
            ]
            evals = [(s, floor + 0.1 + (start_loss - floor) * math.exp(-s / 70)) for s in range(0, steps, 40)]
            finished = status.finished and started is not None
            tuned = rng.uniform(0.2, 0.6) if status == RunStatus.SUCCEEDED else None
            run_rows.append(
                {
                    "owner_id": admin.id if n % 2 else member.id,
                    "name": f"{rng.choice(['sweep', 'baseline', 'qlora', 'ablation'])} {n}",
                    "dataset_id": datasets[n % len(datasets)].id,
                    "base_model": rng.choice(BASE_MODELS),
                    "preset_snapshot": {"name": rng.choice(["QLoRA paper", "One-minute check"]), "version": 1},
                    "config": {"learning_rate": 2e-4, "lora_r": 16, "num_train_epochs": 3},
                    "split_hash": "h",
                    "status": status,
                    "status_message": status.value,
                    "created_at": created,
                    "started_at": started,
                    "finished_at": started + timedelta(seconds=steps * 3) if finished and started else None,
                    "duration_seconds": steps * 3.0 if finished else None,
                    "step": steps - 1 if steps else None,
                    "total_steps": steps or None,
                    "base_eval_loss": evals[0][1] if evals else None,
                    "best_eval_loss": min((v for s, v in evals if s > 0), default=None),
                    "loss_sparkline": sparkline.build(train),
                    "rouge_l": tuned,
                    "rouge_l_change": tuned - rng.uniform(0.15, 0.4) if tuned is not None else None,
                }
            )
            metric_series.append((train, evals))
        session.execute(insert(Run), run_rows)
        run_ids = list(session.scalars(select(Run.id).order_by(Run.id)))
        tags = [{"run_id": run_id, "tag": tag} for run_id in run_ids for tag in rng.sample(TAGS, rng.randint(0, 3))]
        session.execute(insert(RunTag), tags)
        session.commit()
        metrics = [
            {"run_id": run_id, "step": step, "epoch": step / points, "name": name, "value": value, "time": now}
            for run_id, (train, evals) in zip(run_ids, metric_series, strict=True)
            for name, series in (("train_loss", train), ("eval_loss", evals))
            for step, value in series
        ]
        for chunk in _chunks(metrics):
            session.execute(insert(Metric), chunk)
        session.commit()
        session.execute(text("ANALYZE"))  # planner statistics, as a database that has lived a while has them
        session.commit()
        print(f"  filled: {len(run_ids)} runs, {len(tags)} tags, {len(metrics)} metric points")


def measure(engine: Engine, repeat: int) -> list[tuple[str, float, float, int]]:
    results = []
    with Session(engine) as session:
        users = {user.name: user for user in session.scalars(select(User))}
        for label, owner, params in CASES:
            sort, offset = params.get("sort", "-created_at"), params.get("offset", 0)
            filters = RunFilters(
                statuses=params.get("statuses", []),
                dataset_id=params.get("dataset_id"),
                base_model=params.get("base_model"),
                q=params.get("q"),
                tag=params.get("tag"),
            )
            timings = []
            for attempt in range(repeat + 3):
                began = time.perf_counter()
                items, total = list_runs(session, users[owner], filters, sort, 50, offset)
                Page[RunListItem](items=items, total=total).model_dump_json()
                if attempt >= 3:  # the first ones warm the caches
                    timings.append((time.perf_counter() - began) * 1000)
                session.rollback()
            p95 = statistics.quantiles(timings, n=20)[-1]
            results.append((label, statistics.median(timings), p95, total))
    return results


def run(name: str, url: str, args: argparse.Namespace) -> None:
    print(f"{name}: {url}")
    if url.startswith("postgresql"):
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate(url)
    engine = make_engine(url)
    began = time.perf_counter()
    fill(engine, args.runs, args.points)
    print(f"  fill took {time.perf_counter() - began:.0f} s")
    print(f"  {'case':42} {'p50 ms':>8} {'p95 ms':>8} {'matched':>8}")
    for label, p50, p95, total in measure(engine, args.repeat):
        print(f"  {label:42} {p50:8.1f} {p95:8.1f} {total:8d}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", help="a PostgreSQL URL to measure too (its public schema is dropped)")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=200, help="optimiser steps per run (train loss each step)")
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        run("SQLite", f"sqlite:///{directory}/bench.sqlite", args)
    if args.postgres:
        run("PostgreSQL", args.postgres, args)


if __name__ == "__main__":
    main()

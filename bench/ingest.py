"""How fast the studio takes in an Alpaca-sized upload, next to `datasets.load_dataset` on the same file.

Writes 52,000 Alpaca rows (the original Alpaca's size) as ~40 MB of JSONL with realistic text lengths, then
measures, each in a fresh process so peak memory is its own:
  studio parse+validate   one pass of the upload's reader and validator (the first of its two passes); also
                          on the same rows as an indented JSON array (the original alpaca_data.json's layout)
  studio upload           the whole upload into a temporary SQLite database: copy to storage, validate, warnings,
                          split, second pass and batched inserts, commit
  datasets.load_dataset   "json" loader into a fresh cache directory (the API never imports `datasets`)
Peak memory: the process's peak RSS during the work (VmHWM, reset first) minus its RSS before it, so imports don't
count; for the studio also tracemalloc's peak of Python allocations (a separate, slower run).

Usage: python -m bench.ingest [--rows 52000] [--repeat 3]
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

VOCABULARY = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which but have an they "
    "you were her she there been one all we their has would when if so no will what can more out up other about into "
    "than its time only could new them man some these then two first may any like now my such make over our even "
    "most me state after also made many did must before back see through way where get much go well your know should "
    "down work year because come people just say each those take day good how long own too little use us very great "
    "model data train value function return list string number example result answer question explain write summary "
    "translate classify describe compare reason step because therefore however although python table customer order"
)
WORDS = VOCABULARY.split()


def _text(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    sentences, start = [], 0
    while start < len(words):
        end = start + rng.randint(6, 18)
        sentence = " ".join(words[start:end])
        sentences.append(sentence[:1].upper() + sentence[1:] + rng.choice(".?."))
        start = end
    return " ".join(sentences)


def write_alpaca(path: Path, rows: int, seed: int = 0) -> None:
    """Lengths like Alpaca's: short instructions, an input on ~40% of rows, answers of a few sentences."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for _ in range(rows):
            row = {
                "instruction": _text(rng, 5, 30),
                "input": _text(rng, 5, 80) if rng.random() < 0.4 else "",
                "output": _text(rng, 10, 210),
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak_rss() -> None:
    # Writing 5 to clear_refs resets VmHWM, so the peak measured is the work's, not the imports'.
    Path("/proc/self/clear_refs").write_text("5")


def _studio_parse(path: Path) -> int:
    from backend.datasets.parsing import Limits, ParsedRow, open_table, parsed_rows, resolve_fields

    limits = Limits()
    table = open_table(path, path.name, limits)
    fields = resolve_fields(table.columns(), "auto", None)
    return sum(isinstance(row, ParsedRow) for row in parsed_rows(table, fields, limits))


def _studio_upload(path: Path) -> int:
    """What POST /api/datasets does, minus HTTP: the database is the embedded default in a fresh data dir."""
    from backend.auth.service import PLACEHOLDER_USER_ID
    from backend.core.db import get_sessionmaker
    from backend.core.storage import get_storage
    from backend.datasets.service import UploadedFile, UploadOptions, create_dataset
    from backend.models import User

    with get_sessionmaker()() as session, path.open("rb") as content:
        owner = session.get_one(User, PLACEHOLDER_USER_ID)
        upload = UploadedFile(path.name, content)
        dataset = create_dataset(session, owner, get_storage(), UploadOptions(name="bench"), upload)
        session.commit()
        return dataset.num_rows


def _migrate() -> None:
    from alembic import command
    from alembic.config import Config

    command.upgrade(Config(str(Path(__file__).resolve().parents[1] / "alembic.ini")), "head")


def _load_dataset(path: Path) -> int:
    import datasets

    datasets.disable_progress_bars()
    with tempfile.TemporaryDirectory() as cache:
        loaded = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=cache)
        return len(loaded)


MEASURES: dict[str, Callable[[Path], int]] = {
    "studio parse+validate": _studio_parse,
    "  same, as a JSON array": _studio_parse,
    "studio upload (SQLite)": _studio_upload,
    "datasets.load_dataset": _load_dataset,
}
# Imported before the baseline, so peak RSS growth is the work's, not the libraries'.
PRELOAD = {
    "studio parse+validate": ["backend.datasets.parsing"],
    "  same, as a JSON array": ["backend.datasets.parsing"],
    "studio upload (SQLite)": ["backend.datasets.service", "backend.core.db", "sqlalchemy.orm"],
    "datasets.load_dataset": ["datasets"],
}


def child(name: str, path: Path, trace: bool) -> None:
    """One measurement in this process; prints a JSON line."""
    for module in PRELOAD[name]:
        __import__(module)
    if name == "studio upload (SQLite)":
        _migrate()
    baseline = _status_mb("VmRSS")
    _reset_peak_rss()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    rows = MEASURES[name](path)
    seconds = time.perf_counter() - started
    result = {"rows": rows, "seconds": seconds, "rss_growth_mb": _status_mb("VmHWM") - baseline}
    if trace:
        result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    print(json.dumps(result))


def _run_child(name: str, path: Path, data_dir: Path, trace: bool = False) -> dict[str, float]:
    env = {**os.environ, "STUDIO_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    command = [sys.executable, "-m", "bench.ingest", "--child", name, "--file", str(path)]
    if trace:
        command.append("--trace")
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=52_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measure (the median is shown)")
    parser.add_argument("--child", choices=list(MEASURES), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file, args.trace)
        return

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        path = Path(tmp) / "alpaca.jsonl"
        write_alpaca(path, args.rows)
        # The original alpaca_data.json is an indented JSON array: the same rows that way.
        array_path = Path(tmp) / "alpaca.json"
        with path.open(encoding="utf-8") as lines:
            array_path.write_text(json.dumps([json.loads(line) for line in lines], indent=4, ensure_ascii=False))
        size_mb = path.stat().st_size / 2**20
        print(f"{args.rows:,} Alpaca rows, {size_mb:.1f} MB of JSONL; median of {args.repeat} runs, fresh process each")
        print(f"{'':24} {'seconds':>8} {'rows/s':>9} {'peak RSS +MB':>13} {'tracemalloc MB':>15}")
        for name in MEASURES:
            runs = []
            for attempt in range(args.repeat):
                data_dir = Path(tempfile.mkdtemp(dir=tmp, prefix=f"data-{attempt}-"))
                runs.append(_run_child(name, array_path if "JSON array" in name else path, data_dir))
            assert all(run["rows"] == args.rows for run in runs), runs
            seconds = statistics.median(run["seconds"] for run in runs)
            rss = statistics.median(run["rss_growth_mb"] for run in runs)
            traced = ""
            if not name.startswith("datasets"):
                data_dir = Path(tempfile.mkdtemp(dir=tmp, prefix="data-traced-"))
                measured = _run_child(name, array_path if "JSON array" in name else path, data_dir, trace=True)
                traced = f"{measured['tracemalloc_peak_mb']:.1f}"
            print(f"{name:24} {seconds:8.2f} {args.rows / seconds:9,.0f} {rss:13.0f} {traced:>15}")


if __name__ == "__main__":
    main()

"""Migrations keep users' data: upgrade a database that has rows, on SQLite and PostgreSQL."""

import json

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, inspect, text

from backend.core.db import get_engine
from tests.conftest import REPO, Stack, make_stack, reset_caches


def seed_dataset(connection: Connection) -> None:
    """Dataset 1, as every schema since 0001 can hold it."""
    connection.execute(
        text(
            "INSERT INTO datasets (id, owner_id, name, format, num_rows, num_train, num_validation, num_test, "
            "split_seed, split_hash, file_key, created_at) "
            "VALUES (1, 1, 'old', 'jsonl', 1, 1, 0, 0, 42, 'h', 'k', CURRENT_TIMESTAMP)"
        )
    )


def seed_run(connection: Connection, name: str, status: str, message: str) -> None:
    """Run 1 on dataset 1, with the columns of the 0001 schema."""
    connection.execute(
        text(
            "INSERT INTO runs (id, owner_id, name, dataset_id, base_model, config, split_hash, status, "
            "status_message, cancel_requested, created_at, updated_at) "
            "VALUES (1, 1, :name, 1, 'm', '{}', 'h', :status, :message, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ),
        {"name": name, "status": status, "message": message},
    )


@pytest.fixture(params=["embedded", "production"])
def empty_stack(request: pytest.FixtureRequest, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Stack:  # type: ignore[no-untyped-def]
    stack = make_stack(request.param, tmp_path / "data")
    for key, value in stack.env().items():
        monkeypatch.setenv(key, value)
    reset_caches()
    return stack


def test_0002_turns_alpaca_columns_into_records_and_back(empty_stack: Stack) -> None:
    config = Config(str(REPO / "alembic.ini"))
    command.upgrade(config, "0001")
    with get_engine().begin() as connection:
        seed_dataset(connection)
        connection.execute(
            text(
                "INSERT INTO dataset_examples (dataset_id, row_number, split, instruction, input, output) "
                "VALUES (1, 1, 'train', 'Say hi', 'politely', 'Hello')"
            )
        )

    command.upgrade(config, "head")
    with get_engine().connect() as connection:
        record, search = connection.execute(text("SELECT record, search_text FROM dataset_examples")).one()
        shape, template = connection.execute(text("SELECT shape, template FROM datasets")).one()
    record = record if isinstance(record, dict) else __import__("json").loads(record)
    assert record == {"shape": "alpaca", "instruction": "Say hi", "input": "politely", "output": "Hello"}
    assert search == "say hi politely hello"
    assert (shape, template) == ("alpaca", "alpaca")

    command.downgrade(config, "0001")
    with get_engine().connect() as connection:
        assert connection.execute(text("SELECT instruction, input, output FROM dataset_examples")).one() == (
            "Say hi",
            "politely",
            "Hello",
        )
    reset_caches()


def test_0005_adds_the_run_log_and_keeps_existing_runs_without_a_preflight(empty_stack: Stack) -> None:
    config = Config(str(REPO / "alembic.ini"))
    command.upgrade(config, "0004")
    with get_engine().begin() as connection:
        seed_dataset(connection)
        seed_run(connection, "old run", "succeeded", "done")

    command.upgrade(config, "0005")
    with get_engine().begin() as connection:
        assert connection.execute(text("SELECT preflight FROM runs")).scalar_one() in (False, 0)
        connection.execute(
            text(
                "INSERT INTO run_events (run_id, time, step, kind, message) "
                "VALUES (1, CURRENT_TIMESTAMP, NULL, 'info', 'finished')"
            )
        )

    command.downgrade(config, "0004")
    with get_engine().connect() as connection:
        assert connection.execute(text("SELECT name FROM runs")).scalar_one() == "old run"
        assert "run_events" not in inspect(connection).get_table_names()
    reset_caches()


def test_0007_adds_the_worker_registry_and_removes_it_on_downgrade(empty_stack: Stack) -> None:
    config = Config(str(REPO / "alembic.ini"))
    command.upgrade(config, "0006")
    with get_engine().begin() as connection:
        seed_dataset(connection)

    command.upgrade(config, "0007")
    with get_engine().begin() as connection:
        # An 80 GB GPU: beyond a 32-bit integer, so memory_bytes must be a BIGINT on PostgreSQL.
        connection.execute(
            text(
                "INSERT INTO workers (id, hostname, pid, queues, device, device_name, device_count, memory_bytes, "
                "cpu_count, versions, started_at, last_seen_at) VALUES ('w1', 'gpu-1', 7, '[\"training\"]', 'cuda', "
                "'NVIDIA A100-SXM4-80GB', 1, 85899345920, 32, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        assert connection.execute(text("SELECT memory_bytes FROM workers")).scalar_one() == 85_899_345_920
        indexes = {index["name"] for index in inspect(connection).get_indexes("workers")}
        assert "ix_workers_last_seen_at" in indexes

    command.downgrade(config, "0006")
    with get_engine().connect() as connection:
        assert "workers" not in inspect(connection).get_table_names()
        assert connection.execute(text("SELECT name FROM datasets")).scalar_one() == "old"
    reset_caches()


def test_0008_renames_the_run_log_to_log_lines_keeping_every_line(empty_stack: Stack) -> None:
    config = Config(str(REPO / "alembic.ini"))
    command.upgrade(config, "0007")
    with get_engine().begin() as connection:
        seed_dataset(connection)
        seed_run(connection, "old run", "succeeded", "done")
        connection.execute(
            text(
                "INSERT INTO run_events (run_id, time, step, kind, message) "
                "VALUES (1, CURRENT_TIMESTAMP, 3, 'warning', 'kept across the rename')"
            )
        )

    command.upgrade(config, "0008")
    with get_engine().begin() as connection:
        tables = inspect(connection).get_table_names()
        assert "run_events" not in tables
        assert connection.execute(text("SELECT step, message FROM run_log_lines")).one() == (
            3,
            "kept across the rename",
        )
        assert "ix_run_log_lines_run_id" in {
            index["name"] for index in inspect(connection).get_indexes("run_log_lines")
        }
        # New lines get ids after the old ones (PostgreSQL's sequence went with the table).
        connection.execute(
            text("INSERT INTO run_log_lines (run_id, time, kind, message) VALUES (1, CURRENT_TIMESTAMP, 'info', 'new')")
        )
        assert connection.execute(text("SELECT max(id) FROM run_log_lines")).scalar_one() == 2

    command.downgrade(config, "0007")
    with get_engine().connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM run_events")).scalar_one() == 2
    reset_caches()


def test_0009_adds_when_a_run_was_last_sent_and_keeps_existing_runs(empty_stack: Stack) -> None:
    config = Config(str(REPO / "alembic.ini"))
    command.upgrade(config, "0008")
    with get_engine().begin() as connection:
        seed_dataset(connection)
        seed_run(connection, "queued run", "queued", "waiting for a worker")

    command.upgrade(config, "0009")
    with get_engine().begin() as connection:
        # Unknown for a run queued before the upgrade: the first reaper pass sends it once more (harmless).
        assert connection.execute(text("SELECT last_sent_at FROM runs")).scalar_one() is None
        connection.execute(text("UPDATE runs SET last_sent_at = CURRENT_TIMESTAMP"))

    command.downgrade(config, "0008")
    with get_engine().connect() as connection:
        assert "last_sent_at" not in {column["name"] for column in inspect(connection).get_columns("runs")}
        assert connection.execute(text("SELECT name FROM runs")).scalar_one() == "queued run"
    reset_caches()


def test_0015_turns_a_runs_predictions_into_its_two_evaluations_and_back(empty_stack: Stack) -> None:
    config = Config(str(REPO / "alembic.ini"))
    command.upgrade(config, "0014")
    with get_engine().begin() as connection:
        seed_dataset(connection)
        seed_run(connection, "finished before evaluations", "succeeded", "done")
        connection.execute(text("""UPDATE runs SET config = '{"template": "alpaca", "max_new_tokens": 32}'"""))
        connection.execute(
            text(
                "INSERT INTO dataset_examples (id, dataset_id, row_number, split, record, search_text) "
                "VALUES (1, 1, 1, 'test', '{}', ''), (2, 1, 2, 'test', '{}', '')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO predictions (run_id, example_id, prompt, expected, generated, base_generated, created_at) "
                "VALUES (1, 1, 'p1', 'Paris', 'Paris', 'Lyon', CURRENT_TIMESTAMP), "
                "(1, 2, 'p2', 'Ελλάδα', 'Ελλάδα', 'Ελλάδα', CURRENT_TIMESTAMP)"
            )
        )

    command.upgrade(config, "0015")
    with get_engine().connect() as connection:
        assert "predictions" not in inspect(connection).get_table_names()
        evaluations = connection.execute(
            text("SELECT id, model, split, status, done, template, metrics FROM evaluations ORDER BY id")
        ).all()
        assert [(e.model, e.split, e.status, e.done, e.template) for e in evaluations] == [
            ("fine_tuned", "test", "succeeded", 2, "alpaca"),
            ("base", "test", "succeeded", 2, "alpaca"),
        ]
        metrics = [e.metrics if isinstance(e.metrics, dict) else json.loads(e.metrics) for e in evaluations]
        assert [m["exact_match"]["value"] for m in metrics] == [1.0, 0.5]
        answers = connection.execute(
            text("SELECT evaluation_id, example_id, generated FROM evaluation_predictions ORDER BY id")
        ).all()
        tuned_id, base_id = (e.id for e in evaluations)
        assert [tuple(a) for a in answers] == [
            (tuned_id, 1, "Paris"),
            (tuned_id, 2, "Ελλάδα"),
            (base_id, 1, "Lyon"),
            (base_id, 2, "Ελλάδα"),
        ]

    command.downgrade(config, "0014")
    with get_engine().connect() as connection:
        rows = connection.execute(
            text("SELECT example_id, generated, base_generated FROM predictions ORDER BY example_id")
        ).all()
        assert [tuple(row) for row in rows] == [(1, "Paris", "Lyon"), (2, "Ελλάδα", "Ελλάδα")]
    reset_caches()


def test_0016_adds_benchmarks_and_keeps_existing_evaluations_as_generation(empty_stack: Stack) -> None:
    config = Config(str(REPO / "alembic.ini"))
    command.upgrade(config, "0015")
    with get_engine().begin() as connection:
        seed_dataset(connection)
        seed_run(connection, "done", "succeeded", "")
        connection.execute(
            text(
                "INSERT INTO evaluations (id, owner_id, run_id, model, dataset_id, split, template, decoding, status, "
                "done, total, metrics, cancel_requested, created_at) VALUES (1, 1, 1, 'base', 1, 'test', 'alpaca', "
                "'{}', 'succeeded', 3, 3, '{}', false, CURRENT_TIMESTAMP)"
            )
        )

    command.upgrade(config, "0016")
    with get_engine().begin() as connection:
        row = connection.execute(text("SELECT kind, dataset_id, benchmark_id, subjects FROM evaluations")).one()
        assert tuple(row) == ("generation", 1, None, None)
        connection.execute(
            text(
                "INSERT INTO benchmarks (id, owner_id, name, format, num_questions, subjects, created_at) "
                "VALUES (1, 1, 'mmlu', 'csv', 0, '{}', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO evaluations (id, owner_id, run_id, kind, model, benchmark_id, template, decoding, "
                "status, done, total, metrics, cancel_requested, created_at) VALUES (2, 1, 1, 'multiple_choice', "
                "'base', 1, 'question_answer', '{}', 'succeeded', 0, 0, '{}', false, CURRENT_TIMESTAMP)"
            )
        )

    command.downgrade(config, "0015")
    with get_engine().connect() as connection:
        # A benchmark's evaluation has no dataset: it goes with the benchmarks; the others stay.
        assert connection.execute(text("SELECT id, dataset_id FROM evaluations")).all() == [(1, 1)]
        assert "benchmarks" not in inspect(connection).get_table_names()
    reset_caches()


def test_0020_gives_existing_runs_the_lists_figures_from_their_metrics_and_evaluations(empty_stack: Stack) -> None:
    config = Config(str(REPO / "alembic.ini"))
    command.upgrade(config, "0019_reviews")
    with get_engine().begin() as connection:
        seed_dataset(connection)
        seed_run(connection, "finished", "succeeded", "done")
        connection.execute(
            text("UPDATE runs SET started_at = '2026-01-01 10:00:00+00', finished_at = '2026-01-01 10:05:00+00'")
        )
        points = [(0, "eval_loss", 2.0), (1, "train_loss", 3.0), (2, "train_loss", 2.5), (2, "eval_loss", 1.5)]
        for step, name, value in points:
            connection.execute(
                text(
                    "INSERT INTO metrics (run_id, step, name, value, time) "
                    "VALUES (1, :step, :name, :value, CURRENT_TIMESTAMP)"
                ),
                {"step": step, "name": name, "value": value},
            )
        for model, rouge in (("fine_tuned", 0.5), ("base", 0.375)):
            connection.execute(
                text(
                    "INSERT INTO evaluations (owner_id, run_id, kind, model, dataset_id, split, template, decoding, "
                    "status, done, total, metrics, cancel_requested, attempts, created_at) VALUES (1, 1, 'generation', "
                    ":model, 1, 'test', 'alpaca', '{}', 'succeeded', 1, 1, :metrics, false, 0, CURRENT_TIMESTAMP)"
                ),
                {"model": model, "metrics": json.dumps({"rouge_l": {"value": rouge}})},
            )

    command.upgrade(config, "0020_run_list")
    with get_engine().connect() as connection:
        run = connection.execute(
            text(
                "SELECT step, best_eval_loss, loss_sparkline, duration_seconds, rouge_l, rouge_l_change, note FROM runs"
            )
        ).one()
        sparkline = run.loss_sparkline if isinstance(run.loss_sparkline, dict) else json.loads(run.loss_sparkline)
        assert (run.step, run.best_eval_loss, run.duration_seconds, run.note) == (2, 1.5, 300.0, "")
        assert sparkline == {"width": 1, "sums": [0.0, 3.0, 2.5], "counts": [0, 1, 1]}
        assert (run.rouge_l, run.rouge_l_change) == (0.5, 0.125)

    command.downgrade(config, "0019_reviews")
    with get_engine().connect() as connection:
        assert "run_tags" not in inspect(connection).get_table_names()
        assert "note" not in {column["name"] for column in inspect(connection).get_columns("runs")}
    reset_caches()

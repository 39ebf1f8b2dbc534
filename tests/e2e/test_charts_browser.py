"""The run page's charts with 1, 2 and 20,000 recorded points (metrics written straight into the studio's database,
no training): every point drawn, axes that fit, smoothing, log scale, the x axis switch, a spike and a NaN kept."""

import json
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import insert

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.storage import LocalStorage
from backend.models import Metric, Run, RunStatus
from tests.e2e.browser import (
    Studio,
    api_client,
    chromium_page,
    studio_database,
    studio_with_a_dataset,
    wait_until,
)
from worker import run_store
from worker.leases import Lease
from worker.sinks import DatabaseSink

SHOTS = Path("/tmp/charts-shots")
SPIKE_STEP = 12_345
NAN_STEP = 7_001


def _run_with_metrics(studio: Studio, rows: list[dict[str, Any]]) -> int:
    api = api_client(studio.base_url)
    response = api.post("/api/runs", json={"dataset_id": studio.dataset_id, "base_model": str(studio.model)})
    assert response.status_code == 201, response.text
    run_id: int = response.json()["id"]
    with studio_database(studio), get_sessionmaker().begin() as session:
        session.get_one(Run, run_id).status = RunStatus.SUCCEEDED
        session.execute(insert(Metric), [{"run_id": run_id, **row} for row in rows])
    return run_id


def _point(step: int, name: str, value: float) -> dict[str, Any]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return {"step": step, "epoch": step / 1000, "name": name, "value": value, "time": start + timedelta(seconds=step)}


def _shown(page: Any, test_id: str) -> dict[str, Any]:
    """What the chart draws, as it describes itself (MetricChart's data attributes)."""
    chart = page.get_by_test_id(test_id)
    return {
        "series": {s["label"]: s for s in json.loads(chart.get_attribute("data-series"))},
        "y": json.loads(chart.get_attribute("data-y-range")),
        "x": json.loads(chart.get_attribute("data-x-range")),
        "nonfinite": json.loads(chart.get_attribute("data-nonfinite")),
        "log": chart.get_attribute("data-log") == "true",
    }


def _open(page: Any, studio: Studio, run_id: int) -> None:
    page.goto(f"{studio.base_url}/runs/{run_id}")
    # Until the metrics have loaded the chart draws its series empty.
    wait_until(
        page,
        """() => {
          const series = document.querySelector('[data-testid="loss-chart"]')?.dataset.series;
          return series !== undefined && JSON.parse(series).some((s) => s.label === "Training loss" && s.points > 0);
        }""",
        timeout=30,
    )


def _shots(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.get_by_test_id("loss-chart").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def test_charts_with_one_two_and_twenty_thousand_points(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    root: Path = tmp_path_factory.mktemp("charts")
    with studio_with_a_dataset(root) as studio:
        lone = _run_with_metrics(studio, [_point(1, "train_loss", 1.209), _point(1, "learning_rate", 0.0)])
        pair = _run_with_metrics(
            studio,
            [
                _point(0, "eval_loss", 2.0),
                _point(1, "train_loss", 1.9),
                _point(2, "train_loss", 1.5),
                _point(1, "learning_rate", 1e-4),
                _point(2, "learning_rate", 2e-4),
            ],
        )
        many_rows = []
        for step in range(1, 20_001):
            loss = 50.0 if step == SPIKE_STEP else math.nan if step == NAN_STEP else 2.0 / step**0.3
            many_rows += [_point(step, "train_loss", loss), _point(step, "grad_norm", 1.0 + (step % 7) / 10)]
            if step % 10 == 0:
                many_rows.append(_point(step, "learning_rate", 2e-4 * (1 - step / 20_000)))
            if step % 1000 == 0:
                many_rows += [_point(step, "eval_loss", loss * 1.1), _point(step, "tokens_per_second", 1500.0)]
        many = _run_with_metrics(studio, many_rows)

        with chromium_page(60_000, viewport=(1280, 900), signed_in_to=studio.base_url) as page:
            # One point: drawn as a marker, on an axis around it; a constant 0 learning rate gets -1..1, not 0..100.
            _open(page, studio, lone)
            shown = _shown(page, "loss-chart")
            train = shown["series"]["Training loss"]
            assert train["points"] == 1 and train["markers"], shown
            assert shown["y"][0] < 1.209 < shown["y"][1], shown
            lr = _shown(page, "lr-chart")
            assert lr["y"] == [-1, 1], lr
            assert lr["series"]["Learning rate"]["markers"]
            assert lr["x"] == shown["x"], (lr, shown)
            _shots(page, "lone-1280")

            # Two points: raw (faint) and smoothed, both marked; smoothing 0 leaves the raw line alone, remembered.
            _open(page, studio, pair)
            expect(page.get_by_test_id("chart-smoothing-value")).to_have_text("0.60")  # the default
            shown = _shown(page, "loss-chart")
            assert shown["series"]["Training loss (raw)"]["points"] == 2
            assert shown["series"]["Training loss"]["points"] == 2
            assert shown["series"]["Training loss"]["markers"]
            assert shown["series"]["Validation loss"]["points"] == 1
            # The loss chart starts at step 0 (the base model's evaluation): so does the learning rate's.
            assert _shown(page, "lr-chart")["x"] == shown["x"] == [0, 2], shown
            page.get_by_test_id("chart-smoothing").fill("0")
            expect(page.get_by_test_id("chart-smoothing-value")).to_have_text("off")
            expect(page.get_by_test_id("loss-chart")).not_to_have_attribute("data-series", re.compile(r"\(raw\)"))
            page.reload()
            expect(page.get_by_test_id("chart-smoothing-value")).to_have_text("off")
            page.get_by_test_id("chart-smoothing").fill("0.9")

            # 20,000 points: a few thousand drawn, the spike and the NaN kept, every chart on one x range.
            _open(page, studio, many)
            shown = _shown(page, "loss-chart")
            raw = shown["series"]["Training loss (raw)"]
            assert 1000 < raw["points"] < 8000, raw
            assert raw["extent"][1] == 50.0, raw
            assert not raw["markers"]
            assert shown["nonfinite"] == [NAN_STEP], shown
            assert shown["x"] == [0 + 1, 20_000], shown
            for chart in ("lr-chart", "grad-norm-chart", "throughput-chart"):
                assert _shown(page, chart)["x"] == shown["x"], chart
            assert shown["series"]["Training loss"]["extent"][1] < 50.0  # the EMA damps the spike; the raw keeps it

            # Hover: every series' value at the cursor.
            box = page.get_by_test_id("loss-chart").locator(".u-over").bounding_box()
            page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
            tooltip = page.get_by_test_id("loss-chart-tooltip")
            expect(tooltip).to_be_visible()
            expect(tooltip).to_contain_text("Training loss")
            expect(tooltip).to_contain_text("Validation loss")
            _shots(page, "many-1280")

            page.get_by_test_id("chart-log").check()
            expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-log", "true")
            shown = _shown(page, "loss-chart")
            assert shown["y"][0] > 0 and shown["y"][1] >= 50, shown
            _shots(page, "many-log-1280")

            page.get_by_test_id("chart-x-epoch").click()
            expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-x-range", "[0.001,20]")
            assert _shown(page, "lr-chart")["x"] == [0.001, 20]
            page.get_by_test_id("chart-x-time").click()
            expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-x-range", "[0,19999]")
            page.get_by_test_id("chart-x-step").click()
            page.get_by_test_id("chart-log").uncheck()

            page.set_viewport_size({"width": 390, "height": 900})
            for run_id, name in ((lone, "lone-390"), (many, "many-390")):
                _open(page, studio, run_id)
                page.wait_for_timeout(300)  # charts size themselves to their container after the first frame
                assert page.evaluate("document.documentElement.scrollWidth") <= 390
                _shots(page, name)


def test_a_nan_loss_arrives_live_and_is_marked(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """A worker records a NaN training loss and an infinite grad norm while the run page is open: the event stream
    brings them, each chart marks its point, and the page loaded afresh from the metrics endpoint still does."""
    root: Path = tmp_path_factory.mktemp("charts-nan")
    with studio_with_a_dataset(root) as studio:
        api = api_client(studio.base_url)
        response = api.post("/api/runs", json={"dataset_id": studio.dataset_id, "base_model": str(studio.model)})
        assert response.status_code == 201, response.text
        run_id: int = response.json()["id"]
        with studio_database(studio):
            # As the training worker would: the run claimed, its metrics written through the worker's sink.
            assert run_store.claim(run_id, "e2e-worker")
            sink = DatabaseSink(Lease(run_id, owner="e2e-worker"), LocalStorage(get_settings().storage_dir))
            sink.total_steps(10)
            for step in range(1, 5):
                sink.metrics(step, step / 10, {"train_loss": 2.0 - step / 10, "grad_norm": 1.0})

        with chromium_page(60_000, viewport=(1280, 900), signed_in_to=studio.base_url) as page:
            _open(page, studio, run_id)
            assert _shown(page, "loss-chart")["nonfinite"] == []
            with studio_database(studio):
                sink.metrics(5, 0.5, {"train_loss": math.nan, "grad_norm": math.inf})
            marked = (
                """(id) => JSON.parse(document.querySelector(`[data-testid="${id}"]`)?.dataset.nonfinite ?? "[]")"""
            )
            wait_until(page, f"() => ({marked})('loss-chart').includes(5) && ({marked})('grad-norm-chart').includes(5)")
            assert _shown(page, "loss-chart")["nonfinite"] == [5]
            assert _shown(page, "grad-norm-chart")["nonfinite"] == [5]
            expect(page.get_by_test_id("latest-train-loss")).to_contain_text("NaN")
            _shots(page, "nan-live-1280")

            with studio_database(studio):
                assert run_store.finish(
                    run_id, "e2e-worker", RunStatus.FAILED, "loss watchdog: training loss became nan"
                )
            page.reload()
            _open(page, studio, run_id)
            assert _shown(page, "loss-chart")["nonfinite"] == [5]
            assert _shown(page, "grad-norm-chart")["nonfinite"] == [5]
            # Hovering the marked step says what it is.
            low, high = _shown(page, "loss-chart")["x"]
            plot = page.get_by_test_id("loss-chart").locator(".u-over")
            plot.scroll_into_view_if_needed()
            box = plot.bounding_box()
            # Step 5 is the last: just inside the plot's right edge, where the cursor snaps to it.
            page.mouse.move(box["x"] + box["width"] * (5 - low) / (high - low) - 3, box["y"] + box["height"] * 0.5)
            tooltip = page.get_by_test_id("loss-chart-tooltip")
            expect(tooltip).to_contain_text("step 5")
            expect(tooltip).to_contain_text("a non-finite value (NaN/inf) was recorded here")
            _shots(page, "nan-failed-1280")

"""Compare three runs in Chromium (runs, metrics and evaluations written straight into the database, no training):
ticked in the runs list, their curves overlaid, only the settings that differ, losses and test metrics side by side
with the best marked; the selection in the URL; at a laptop's and a phone's width."""

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import insert, select

from backend.core.db import get_sessionmaker
from backend.models import AnswerSource, Metric, User
from tests.e2e.browser import ADMIN_EMAIL, chromium_page, studio_database, studio_with_a_dataset
from tests.factories import create_evaluation, create_run

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/compare-shots")
TIMEOUT = 15_000
CONFIG = {"method": "lora", "learning_rate": 0.0002, "lora_r": 16, "num_train_epochs": 3, "seed": 42}
# name, learning rate, rank, final loss, ROUGE-L
RUNS = [("slow lr", 0.0001, 16, 0.9, 0.41), ("fast lr", 0.0004, 16, 0.7, 0.55), ("fast lr r64", 0.0004, 64, 0.8, 0.47)]


def _metrics(rouge: float) -> dict[str, dict[str, float | None]]:
    return {
        "rouge_l": {"value": rouge, "ci_low": rouge - 0.04, "ci_high": rouge + 0.04},
        "exact_match": {"value": rouge / 2, "ci_low": rouge / 2 - 0.1, "ci_high": rouge / 2 + 0.1},
    }


def _three_runs(dataset_id: int) -> list[int]:
    with get_sessionmaker()() as session:
        admin = session.scalar(select(User.id).where(User.email == ADMIN_EMAIL))
    assert admin is not None
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ids = []
    for name, lr, rank, final, rouge in RUNS:
        run_id = create_run(
            admin,
            dataset_id,
            name,
            config={**CONFIG, "learning_rate": lr, "lora_r": rank},
            base_eval_loss=1.6,
            final_eval_loss=final,
            best_eval_loss=final - 0.02,
        )
        points = [
            {
                "step": step,
                "epoch": step / 40,
                "name": "train_loss",
                "value": final + math.exp(-step / 10),
                "time": start,
            }
            for step in range(1, 41)
        ] + [
            {
                "step": step,
                "epoch": step / 40,
                "name": "eval_loss",
                "value": final + 0.7 * math.exp(-step / 12),
                "time": start,
            }
            for step in (0, 10, 20, 30, 40)
        ]
        for point in points:
            point["time"] = start + timedelta(seconds=point["step"])
        with get_sessionmaker().begin() as session:
            session.execute(insert(Metric), [{"run_id": run_id, **point} for point in points])
        for model, value in ((AnswerSource.FINE_TUNED, rouge), (AnswerSource.BASE, 0.2)):
            create_evaluation(admin, dataset_id, run_id=run_id, model=model, metrics=_metrics(value))
        ids.append(run_id)
    return ids


def _series(page: Any, test_id: str) -> dict[str, Any]:
    return {s["label"]: s for s in json.loads(page.get_by_test_id(test_id).get_attribute("data-series") or "[]")}


def _wait_for_curves(page: Any) -> None:
    page.wait_for_function(
        """() => {
          const series = document.querySelector('[data-testid="compare-train-chart"]')?.dataset.series;
          return series !== undefined && JSON.parse(series).filter((s) => !s.label.endsWith("(raw)") && s.points > 0).length === 3;
        }"""
    )


def test_compare_three_runs(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    root = tmp_path_factory.mktemp("studio")
    with studio_with_a_dataset(root) as studio:
        with studio_database(studio):
            ids = _three_runs(studio.dataset_id)
        with chromium_page(TIMEOUT, (1280, 900), signed_in_to=studio.base_url) as page:
            # Tick the three runs in the list: Compare is enabled from two.
            page.goto(f"{studio.base_url}/runs")
            compare = page.get_by_test_id("compare-runs")
            expect(compare).to_be_disabled()
            for run_id in ids:
                page.locator(f'[data-testid="run-row"][data-run-id="{run_id}"]').get_by_test_id("select-run").check()
            expect(compare).to_have_text("Compare (3)")
            expect(compare).to_be_enabled()
            compare.click()
            page.wait_for_url(f"**/runs/compare?ids={','.join(map(str, ids))}")

            # Three training curves, and on the validation chart three curves and three dashed base lines.
            _wait_for_curves(page)
            labels = [f"#{run_id} {name}" for run_id, (name, *_) in zip(ids, RUNS, strict=True)]
            train = _series(page, "compare-train-chart")
            assert all(train[label]["points"] == 40 for label in labels)
            val = _series(page, "compare-val-chart")
            assert all(val[label]["points"] == 5 for label in labels)
            assert all(val[f"{label}: base model"]["extent"] == [1.6, 1.6] for label in labels)

            # Only what differs: the learning rate and the rank, not the method, epochs or seed.
            rows = page.get_by_test_id("differing-row")
            expect(rows).to_have_count(2)
            expect(rows.nth(0)).to_have_attribute("data-name", "learning_rate")
            expect(rows.nth(0)).to_contain_text("1.0e-4")
            expect(rows.nth(1)).to_have_attribute("data-name", "lora_r")
            expect(page.get_by_test_id("compare-differing")).not_to_contain_text("seed")

            # Losses and metrics side by side, the best of each row marked; the base model beneath.
            best_loss = page.locator('[data-testid="loss-row"][data-name="best_eval_loss"] td[data-best]')
            expect(best_loss).to_have_count(1)
            expect(best_loss).to_have_text("0.680")
            rouge = page.locator('[data-testid="metric-row"][data-name="rouge_l"]')
            expect(rouge.locator("td")).to_have_count(3)
            expect(rouge.locator("td[data-best]")).to_have_text("0.550.51–0.59")
            expect(page.locator('[data-testid="metric-base-row"][data-name="rouge_l"] td').first).to_contain_text(
                "0.20"
            )
            expect(page.get_by_test_id("compare-verdict")).to_contain_text(f"Lowest validation loss: #{ids[1]} fast lr")
            expect(page.get_by_test_id("compare-ab-open")).to_have_count(3)
            expect(page.get_by_test_id("compared-run-link").first).to_have_attribute("href", f"/runs/{ids[0]}")
            page.screenshot(path=str(SHOTS / "compare-1280.png"), full_page=True)

            # The URL is the selection: a reload (or a shared link) shows the same comparison.
            page.reload()
            _wait_for_curves(page)
            expect(page.get_by_test_id("differing-row")).to_have_count(2)

            # At a phone's width the charts stack, the tables scroll inside their cards, the page never sideways.
            page.set_viewport_size({"width": 390, "height": 900})
            _wait_for_curves(page)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            charts = [page.get_by_test_id(t).bounding_box() for t in ("compare-train-chart", "compare-val-chart")]
            assert charts[0] and charts[1] and charts[1]["y"] > charts[0]["y"] + charts[0]["height"] - 1
            page.screenshot(path=str(SHOTS / "compare-390.png"), full_page=True)

            # "Compare with…" on a run's page: another run of the same dataset, then the compare page.
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(f"{studio.base_url}/runs/{ids[0]}")
            page.get_by_test_id("compare-with-open").click()
            page.get_by_test_id("compare-with-option").filter(has_text="fast lr r64").locator("input").check()
            page.get_by_test_id("compare-with-start").click()
            page.wait_for_url(f"**/runs/compare?ids={ids[0]},{ids[2]}")
            expect(page.get_by_test_id("differing-row")).to_have_count(2)

"""The runs list in Chromium over 60 runs: filter by status, sort by a column, search by name, tag and annotate a run
inline and filter by its tag; filters, sort and page in the URL; at a laptop's and a phone's width."""

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.core.db import get_sessionmaker
from backend.models import RunStatus, User, utcnow
from domain import sparkline
from tests.e2e.browser import ADMIN_EMAIL, api_client, chromium_page, studio_database, studio_with_a_dataset
from tests.factories import create_run

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/runlist-shots")
TIMEOUT = 15_000
STATUSES = [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.QUEUED]


def _fill(dataset_id: int) -> None:
    """60 runs as workers leave them: 12 of each status cycle, one running, figures on the finished ones."""
    with get_sessionmaker()() as session:
        admin = session.scalar(select(User.id).where(User.email == ADMIN_EMAIL))
    assert admin is not None
    now = utcnow()
    for n in range(60):
        status = RunStatus.RUNNING if n == 59 else STATUSES[n % len(STATUSES)]
        trained = status != RunStatus.QUEUED
        loss = [(step, 0.4 + 1.6 * math.exp(-step / (20 + n))) for step in range(1, 120)] if trained else []
        create_run(
            admin,
            dataset_id,
            f"{'sweep' if n % 3 == 0 else 'baseline'} lr {n}",
            status=status,
            created_at=now - timedelta(minutes=60 - n),
            started_at=now - timedelta(minutes=60 - n) if trained else None,
            step=119 if status != RunStatus.RUNNING else 40,
            total_steps=120 if trained else None,
            base_eval_loss=1.2 if trained else None,
            best_eval_loss=0.5 + (n * 37 % 60) / 100 if status == RunStatus.SUCCEEDED else None,
            rouge_l=0.3 + n / 200 if status == RunStatus.SUCCEEDED else None,
            rouge_l_change=(n - 20) / 200 if status == RunStatus.SUCCEEDED else None,
            duration_seconds=300.0 + n if status.finished else None,
            loss_sparkline=sparkline.build(loss),
            preset_snapshot={"name": "QLoRA paper", "version": 1} if n % 2 else None,
        )


def _best_losses(page: Any) -> list[float]:
    cells = page.get_by_test_id("run-best-loss").all()
    return [float(value) for cell in cells if (value := cell.get_attribute("data-value"))]


def _expect_first(page: Any, api: Any, params: dict[str, str]) -> None:
    """Wait until the table shows the page the API gives for `params` (the previous one stays until it arrives)."""
    first = api.get("/api/runs", params=params).json()["items"][0]["id"]
    expect(page.get_by_test_id("run-row").first).to_have_attribute("data-run-id", str(first))


def test_filter_sort_search_and_tag_runs(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    root = tmp_path_factory.mktemp("studio")
    with studio_with_a_dataset(root) as studio:
        with studio_database(studio):
            _fill(studio.dataset_id)
        api = api_client(studio.base_url)
        with chromium_page(TIMEOUT, (1280, 900), signed_in_to=studio.base_url) as page:
            page.goto(f"{studio.base_url}/runs")
            rows = page.get_by_test_id("run-row")
            expect(rows).to_have_count(50)
            expect(page.get_by_test_id("pagination")).to_contain_text("1–50 of 60")
            expect(rows.first.get_by_test_id("run-row-status")).to_have_attribute("data-status", "running")
            expect(rows.first.get_by_test_id("run-progress")).to_contain_text("40 of 120")
            expect(rows.first.get_by_test_id("run-sparkline")).to_be_visible()
            page.screenshot(path=str(SHOTS / "runs-1280.png"), full_page=True)

            # Status: only failed runs, and the filter is in the URL.
            page.get_by_test_id("status-filter-failed").click()
            expect(rows).to_have_count(12)
            for status in page.get_by_test_id("run-row-status").all():
                expect(status).to_have_attribute("data-status", "failed")
            assert "status=failed" in page.url
            page.get_by_test_id("status-filter-failed").click()
            expect(rows).to_have_count(50)

            # Sort by best validation loss, lowest first, then highest first; runs without one last.
            page.get_by_test_id("status-filter-succeeded").click()
            expect(rows).to_have_count(24)
            page.get_by_test_id("sort-best_val_loss").click()
            expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Best val loss")
            _expect_first(page, api, {"status": "succeeded", "sort": "best_val_loss"})
            losses = _best_losses(page)
            assert len(losses) == 24 and losses == sorted(losses)
            page.get_by_test_id("sort-best_val_loss").click()
            expect(page.locator("th[aria-sort=descending]")).to_contain_text("Best val loss")
            _expect_first(page, api, {"status": "succeeded", "sort": "-best_val_loss"})
            losses = _best_losses(page)
            assert losses == sorted(losses, reverse=True)
            assert "sort=-best_val_loss" in page.url

            # Search by name, on top of the status filter and the sort.
            page.get_by_test_id("run-search").fill("sweep")
            expect(rows).to_have_count(8)
            for name in page.get_by_test_id("run-row-name").all():
                expect(name).to_contain_text("sweep")
            assert _best_losses(page) == sorted(_best_losses(page), reverse=True)

            # The URL keeps all of it: a reload shows the same list.
            page.reload()
            expect(rows).to_have_count(8)
            expect(page.get_by_test_id("run-search")).to_have_value("sweep")
            page.get_by_test_id("clear-filters").click()
            expect(rows).to_have_count(50)

            # Tag and annotate a run in place, then filter by its tag from the chip.
            row = rows.nth(2)
            run_id = int(row.get_attribute("data-run-id") or 0)
            row.get_by_test_id("run-tags-edit").click()
            row.get_by_test_id("run-tags-input").fill("keep, best lr")
            row.get_by_test_id("run-note-input").fill("the one to ship")
            row.get_by_test_id("run-tags-save").click()
            expect(row.get_by_test_id("run-tag")).to_have_text(["best lr", "keep"])
            expect(row.get_by_test_id("run-note")).to_have_text("the one to ship")
            saved = api.get(f"/api/runs/{run_id}").json()
            assert (saved["tags"], saved["note"]) == (["best lr", "keep"], "the one to ship")
            row.get_by_test_id("run-tag").filter(has_text="keep").click()
            expect(rows).to_have_count(1)
            expect(page.get_by_test_id("tag-filter")).to_have_value("keep")
            assert "tag=keep" in page.url

            # A tag the API refuses is said at the editor, and nothing changes.
            rows.first.get_by_test_id("run-tags-edit").click()
            rows.first.get_by_test_id("run-tags-input").fill("x" * 41)
            rows.first.get_by_test_id("run-tags-save").click()
            expect(rows.first.get_by_test_id("run-tags-editor")).to_contain_text("tags.0")
            assert api.get(f"/api/runs/{run_id}").json()["tags"] == ["best lr", "keep"]
            rows.first.get_by_test_id("run-tags-input").press("Escape")
            expect(page.get_by_test_id("run-tags-editor")).to_have_count(0)
            page.get_by_test_id("clear-filters").click()

            # A phone: the filters wrap, the table scrolls inside its card, the page never sideways.
            page.set_viewport_size({"width": 390, "height": 844})
            expect(rows).to_have_count(50)
            page.screenshot(path=str(SHOTS / "runs-390.png"), full_page=False)
            page.get_by_test_id("runs-table").evaluate("t => t.parentElement.scrollLeft = 400")
            page.screenshot(path=str(SHOTS / "runs-390-scrolled.png"), full_page=False)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0

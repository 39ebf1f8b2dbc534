"""A queued run in the browser: the run page says where it stands and links to the Workers page, which lists the
live workers, what each is on, and the waiting work with its memory verdict."""

from pathlib import Path

import pytest

from tests.e2e.browser import SCREENSHOTS, api_client, chromium_page, studio_database, studio_with_a_dataset
from tests.factories import create_worker

pytestmark = pytest.mark.e2e


def test_a_queued_run_says_where_it_stands(tmp_path: Path) -> None:
    with studio_with_a_dataset(tmp_path) as studio:
        api = api_client(studio.base_url)
        runs = [
            api.post("/api/runs", json={"dataset_id": studio.dataset_id, "base_model": str(studio.model)}).json()["id"]
            for _ in range(2)
        ]
        with chromium_page(signed_in_to=studio.base_url) as page:
            # No training worker (the studio runs only a light one): the run page says so, with the command.
            page.goto(f"{studio.base_url}/runs/{runs[1]}")
            message = page.get_by_test_id("run-status-message")
            message.get_by_text(f"2nd in the queue, behind run {runs[0]}; no training worker is running").wait_for()
            assert "--queues=training" in message.inner_text()

            page.get_by_test_id("run-queue-link").click()
            page.wait_for_url("**/workers")
            page.get_by_test_id("no-training-worker").wait_for()
            rows = page.get_by_test_id("queue-row")
            assert rows.count() == 2
            assert rows.nth(0).inner_text().startswith(f"1\trun #{runs[0]} ")
            assert rows.nth(1).inner_text().startswith(f"2\trun #{runs[1]} ")

            # A training worker on another machine joins: the queue compares with it.
            with studio_database(studio):
                create_worker(
                    hostname="gpu-box.example",
                    device="cpu",
                    device_name="AMD EPYC",
                    device_count=0,
                    memory_bytes=64 * 1024**3,
                )
            page.reload()
            page.get_by_test_id("worker-row").filter(has_text="gpu-box.example").wait_for()
            assert page.get_by_test_id("no-training-worker").count() == 0
            assert "fits" in rows.nth(1).inner_text()
            page.screenshot(path=str(SCREENSHOTS / "workers-1280.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(path=str(SCREENSHOTS / "workers-390.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390

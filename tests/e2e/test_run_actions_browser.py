"""Run and dataset actions in the browser: a cancelled run with a checkpoint resumes; a dataset a run used is refused
deletion, naming the run, and archived instead (hidden from the list, no new runs); a run is deleted, then the
dataset it used."""

from pathlib import Path

import pytest
from sqlalchemy import update

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.models import Checkpoint, Run, RunStatus
from tests.e2e.browser import SCREENSHOTS, api_client, chromium_page, studio_database, studio_with_a_dataset

pytestmark = pytest.mark.e2e


def test_runs_resume_and_are_deleted_datasets_are_archived_then_deleted(tmp_path: Path) -> None:
    with studio_with_a_dataset(tmp_path) as studio:
        api = api_client(studio.base_url)
        run_id = api.post("/api/runs", json={"dataset_id": studio.dataset_id, "base_model": str(studio.model)}).json()[
            "id"
        ]
        # As a worker leaves a run it was cancelled on: a checkpoint at step 3 on disk.
        with studio_database(studio):
            key = f"runs/{run_id}/checkpoint-3"
            (get_settings().storage_dir / key).mkdir(parents=True)
            with get_sessionmaker().begin() as session:
                session.execute(update(Run).where(Run.id == run_id).values(status=RunStatus.CANCELLED))
                session.add(Checkpoint(run_id=run_id, step=3, storage_key=key, eval_loss=1.5))

        with chromium_page(signed_in_to=studio.base_url) as page:
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(f"{studio.base_url}/runs/{run_id}")
            page.get_by_test_id("resume-run").get_by_text("Resume from step 3").click()
            page.get_by_test_id("run-status").get_by_text("queued", exact=False).wait_for()
            assert api.get(f"/api/runs/{run_id}").json()["status_message"] == (
                "waiting for a worker: resumes from the checkpoint at step 3"
            )

            page.goto(f"{studio.base_url}/datasets/{studio.dataset_id}")
            page.get_by_test_id("dataset-delete").click()
            refusal = page.get_by_test_id("dataset-delete-error")
            refusal.get_by_text(f"was used by run {run_id}: archive it instead").wait_for()
            page.get_by_test_id("dataset-archive-instead").click()
            page.get_by_test_id("dataset-archived").wait_for()
            assert page.get_by_test_id("dataset-new-run").count() == 0
            page.screenshot(path=str(SCREENSHOTS / "dataset-archived-1280.png"), full_page=True)

            page.goto(f"{studio.base_url}/datasets")
            page.get_by_text("No datasets yet").wait_for()  # the only one is archived
            page.get_by_test_id("show-archived").check()
            page.get_by_test_id("dataset-name").get_by_text("alpaca", exact=True).wait_for()

            page.goto(f"{studio.base_url}/runs/{run_id}")
            page.get_by_test_id("delete-run").click()
            page.wait_for_url("**/runs")
            assert api.get(f"/api/runs/{run_id}").status_code == 404

            page.goto(f"{studio.base_url}/datasets/{studio.dataset_id}")
            page.get_by_test_id("dataset-unarchive").click()
            page.get_by_test_id("dataset-new-run").wait_for()
            page.get_by_test_id("dataset-delete").click()
            page.wait_for_url("**/datasets")
            assert api.get(f"/api/datasets/{studio.dataset_id}").status_code == 404
            page.set_viewport_size({"width": 390, "height": 844})
            assert page.evaluate("document.documentElement.scrollWidth") <= 390

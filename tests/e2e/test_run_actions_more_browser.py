"""More run actions in Chromium: "Run again…" opens the launch form pre-filled from a run's resolved configuration
and launches it with one edit; "Run again unchanged" still clones exactly; a local base model is registered beside
the picker (a bad path shows the API's reason at the field); runs are deleted several at once from the list, a
refusal reported. At a laptop's and a phone's width."""

import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import api_client, chromium_page, studio_with_a_dataset

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/runactions-shots")
TIMEOUT = 15_000


def _opened_run(page: Any, newer_than: int) -> int:
    """The id of the run page the browser lands on, once it is a run newer than `newer_than`."""

    def run_id(url: str) -> int:
        last = url.rstrip("/").split("/")[-1]
        return int(last) if last.isdigit() else 0

    page.wait_for_url(lambda url: run_id(url) > newer_than)
    return run_id(page.url)


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_run_again_register_a_model_and_bulk_delete(tmp_path: Path) -> None:
    SHOTS.mkdir(exist_ok=True)
    with studio_with_a_dataset(tmp_path) as studio:
        api = api_client(studio.base_url)
        presets = api.get("/api/presets").json()["items"]
        quick = next(preset for preset in presets if preset["name"] == "Quick CPU check")
        # On top of the preset's learning rate (5e-4) and steps (10).
        overrides = {"learning_rate": 0.001, "max_steps": 5}
        response = api.post(
            "/api/runs",
            json={
                "dataset_id": studio.dataset_id,
                "base_model": str(studio.model),
                "preset_id": quick["id"],
                "hyperparameters": overrides,
            },
        )
        assert response.status_code == 201, response.text
        # Finished (cancelled before it started: no training worker here), so it can be run again.
        source = api.post(f"/api/runs/{response.json()['id']}/cancel").json()
        assert source["status"] == "cancelled"

        with chromium_page(TIMEOUT, (1280, 900), signed_in_to=studio.base_url) as page:
            # Run again…: the form starts from the run's resolved configuration; one field is edited.
            page.goto(f"{studio.base_url}/runs/{source['id']}")
            page.get_by_test_id("run-again").click()
            page.wait_for_url(f"**/runs/new?from={source['id']}")
            expect(page.get_by_test_id("run-based-on")).to_contain_text(f"Based on run #{source['id']}")
            expect(page.get_by_test_id("run-dataset-select")).to_have_value(str(studio.dataset_id))
            expect(page.get_by_test_id("run-model-select")).to_have_value(str(studio.model))
            expect(page.get_by_test_id("run-preset-select")).to_have_value(str(quick["id"]))
            expect(page.get_by_test_id("hp-learning_rate")).to_have_value("0.001")
            expect(page.get_by_test_id("hp-max_steps")).to_have_value("5")
            # What the preset and the defaults give shows as the field's effective value.
            expect(page.get_by_test_id("hp-eval_steps")).to_have_attribute("placeholder", "5")
            expect(page.get_by_test_id("hp-lora_r")).to_have_attribute("placeholder", str(source["config"]["lora_r"]))
            page.get_by_test_id("hp-lora_r").fill("4")
            page.screenshot(path=str(SHOTS / "run-again-form-1280.png"), full_page=True)
            page.get_by_test_id("launch-run").click()
            edited = api.get(f"/api/runs/{_opened_run(page, source['id'])}").json()
            assert edited["config"] == {**source["config"], "lora_r": 4}
            assert (edited["dataset_id"], edited["base_model"], edited["preset_id"]) == (
                source["dataset_id"],
                source["base_model"],
                source["preset_id"],
            )

            # Run again unchanged: the exact clone, queued at once.
            page.goto(f"{studio.base_url}/runs/{source['id']}")
            page.get_by_test_id("clone-run").get_by_text("Run again unchanged").click()
            clone = api.get(f"/api/runs/{_opened_run(page, edited['id'])}").json()
            assert (clone["config"], clone["split_hash"], clone["base_model"]) == (
                source["config"],
                source["split_hash"],
                source["base_model"],
            )

            # Register a model beside the picker: the API's reasons at the field, then a real model directory.
            page.goto(f"{studio.base_url}/runs/new")
            page.get_by_test_id("register-model-open").click()
            path_field = page.get_by_test_id("register-model-path")
            path_field.fill(str(tmp_path / "no-model-here"))
            page.get_by_test_id("register-model-submit").click()
            expect(page.get_by_test_id("register-model-error")).to_have_text(
                f"{tmp_path / 'no-model-here'} is not a Hugging Face model directory (no config.json there)"
            )
            expect(path_field).to_have_attribute("aria-invalid", "true")
            page.screenshot(path=str(SHOTS / "register-model-error-1280.png"), full_page=True)
            path_field.fill("/usr")
            path_field.press("Enter")
            expect(page.get_by_test_id("register-model-error")).to_contain_text("/usr is outside the model roots")
            copy = shutil.copytree(studio.model, tmp_path / "tiny-llama-copy")
            path_field.fill(str(copy))
            page.get_by_test_id("register-model-submit").click()
            expect(page.get_by_test_id("run-model-select")).to_have_value(str(copy))
            expect(page.get_by_test_id("register-model")).to_have_count(0)
            assert str(copy) in {model["name"] for model in api.get("/api/models").json()["items"]}

            # Bulk delete: three selected; one is deleted elsewhere meanwhile, and is reported.
            page.goto(f"{studio.base_url}/runs")
            for run_id in (edited["id"], clone["id"], source["id"]):
                page.locator(f'[data-run-id="{run_id}"]').get_by_test_id("select-run").check()
            expect(page.get_by_test_id("delete-selected-runs")).to_have_text("Delete (3)…")
            page.screenshot(path=str(SHOTS / "runs-selected-1280.png"), full_page=True)
            confirmations: list[str] = []

            def confirm(dialog: Any) -> None:
                confirmations.append(dialog.message)
                assert api.delete(f"/api/runs/{source['id']}").status_code == 204
                dialog.accept()

            page.once("dialog", confirm)
            page.get_by_test_id("delete-selected-runs").click()
            failed = page.get_by_test_id("bulk-delete-failed")
            expect(failed).to_contain_text("1 run not deleted (2 runs deleted)")
            expect(failed).to_contain_text(f"Run #{source['id']}: run {source['id']} not found")
            assert confirmations[0].startswith("Delete 3 runs with their metrics")
            for run_id in (edited["id"], clone["id"]):
                assert api.get(f"/api/runs/{run_id}").status_code == 404
            expect(page.get_by_test_id("run-row")).to_have_count(0)
            page.screenshot(path=str(SHOTS / "bulk-delete-reported-1280.png"), full_page=True)

            # A phone's width: the pre-filled form, the register field and the selection, none scrolling sideways.
            runs = [
                api.post(
                    "/api/runs",
                    json={"dataset_id": studio.dataset_id, "base_model": str(copy), "hyperparameters": overrides},
                ).json()
                for _ in range(2)
            ]
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(f"{studio.base_url}/runs/new?from={runs[0]['id']}")
            expect(page.get_by_test_id("hp-max_steps")).to_have_value("5")
            expect(page.get_by_test_id("run-model-select")).to_have_value(str(copy))
            page.get_by_test_id("register-model-open").click()
            page.get_by_test_id("register-model-path").fill("not a path")
            page.get_by_test_id("register-model-submit").click()
            expect(page.get_by_test_id("register-model-error")).to_contain_text("unknown base model 'not a path'")
            _no_sideways_scroll(page)
            page.get_by_test_id("register-model").scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / "register-model-error-390.png"))
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(SHOTS / "run-again-form-390.png"))
            page.goto(f"{studio.base_url}/runs")
            page.get_by_test_id("select-all-runs").check()
            expect(page.get_by_test_id("delete-selected-runs")).to_have_text("Delete (2)…")
            _no_sideways_scroll(page)
            page.screenshot(path=str(SHOTS / "runs-selected-390.png"), full_page=True)
            page.once("dialog", lambda dialog: dialog.accept())
            page.get_by_test_id("delete-selected-runs").click()
            expect(page.get_by_test_id("run-row")).to_have_count(0)
            assert [api.get(f"/api/runs/{run['id']}").status_code for run in runs] == [404, 404]

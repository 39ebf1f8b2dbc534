"""The whole studio in Chromium: upload, launch, live curve, side-by-side answers. Screenshots of each page."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import SCREENSHOTS, api_client, chromium_page, embedded_studio_env
from tests.factories import alpaca_rows, jsonl
from tests.processes import api_server, celery_worker
from tests.tiny_model import build_tiny_llama

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The embedded default, as `make up` runs it: migrated SQLite, a uvicorn API, a training and a light worker."""
    root = tmp_path_factory.mktemp("studio")
    env = embedded_studio_env(root)
    model = build_tiny_llama(root / "tiny-llama")
    with (
        celery_worker(env, root / "worker.log"),
        celery_worker(env, root / "light-worker.log", queue="light"),
        api_server(env, root / "api.log") as base_url,
    ):
        yield base_url, model


@pytest.fixture(scope="module")
def page(studio: tuple[str, Path]) -> Iterator[object]:
    with chromium_page(signed_in_to=studio[0]) as page:
        yield page


def test_upload_launch_watch_and_compare(studio: tuple[str, Path], page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base_url, tiny_model = studio
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    api = api_client(base_url)

    assert api.post(f"{base_url}/api/models", json={"name_or_path": str(tiny_model)}).status_code == 201

    # A bad file first: the error names the line, and nothing appears in the list.
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(jsonl(alpaca_rows(12)) + b'{"instruction": "no output"}\n')
    page.goto(f"{base_url}/datasets")
    page.get_by_test_id("dataset-file-input").set_input_files(str(bad))
    expect(page.get_by_text("line 13: missing 'output'")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("dataset-row")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "datasets-error.png"), full_page=True)

    good = tmp_path / "alpaca.jsonl"
    good.write_bytes(jsonl(alpaca_rows(40)))
    page.get_by_test_id("dataset-file-input").set_input_files(str(good))
    expect(page.get_by_test_id("dataset-row")).to_have_count(1, timeout=15_000)
    expect(page.get_by_test_id("dataset-row")).to_contain_text("40")
    page.screenshot(path=str(SCREENSHOTS / "datasets.png"), full_page=True)

    dataset = api.get(f"{base_url}/api/datasets").json()["items"][0]
    assert dataset["name"] == "alpaca.jsonl"
    page.goto(f"{base_url}/datasets/{dataset['id']}")
    page.get_by_test_id("split-filter").locator("[data-split=test]").click()
    expect(page.get_by_test_id("example-row")).to_have_count(4, timeout=15_000)  # 10% of 40 rows
    page.screenshot(path=str(SCREENSHOTS / "dataset.png"), full_page=True)
    page.goto(f"{base_url}/runs/new")
    page.get_by_test_id("run-dataset-select").select_option(value=str(dataset["id"]), timeout=15_000)
    page.get_by_test_id("run-model-select").select_option(value=str(tiny_model))
    page.get_by_test_id("run-preset-select").select_option(label="Quick CPU check")
    page.screenshot(path=str(SCREENSHOTS / "new-run.png"), full_page=True)
    page.get_by_test_id("launch-run").click()

    page.wait_for_url("**/runs/*", timeout=15_000)
    expect(page.get_by_test_id("loss-chart").locator("canvas").first).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("run-status")).to_have_text("succeeded", timeout=240_000, ignore_case=True)
    rows = page.get_by_test_id("example-row")
    expect(rows.first).to_be_visible(timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "run.png"), full_page=True)

    run_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    tuned = api.get(f"{base_url}/api/evaluations", params={"run_id": run_id}).json()["items"][0]
    predictions = api.get(f"{base_url}/api/evaluations/{tuned['id']}/predictions").json()["items"]
    assert rows.count() == len(predictions) == 4  # 10% of 40 rows
    expect(page.get_by_test_id("example-table")).to_contain_text(predictions[0]["expected"])

    # Answers during training: the slider starts at the last step; step 0 is the base model's answers.
    pinned = api.get(f"{base_url}/api/runs/{run_id}/pinned-answers").json()["items"]
    expect(page.get_by_test_id("pinned-example")).to_have_count(len(pinned))
    steps = sorted({answer["step"] for example in pinned for answer in example["answers"]})
    expect(page.get_by_test_id("pinned-step-label")).to_have_text(str(steps[-1]))
    page.get_by_test_id("pinned-step").fill("0")
    expect(page.get_by_test_id("pinned-step-label")).to_have_text("0 (base model)")
    expect(page.get_by_test_id("pinned-answer").first).to_have_text(
        pinned[0]["answers"][0]["answer"] or "(empty answer)"
    )
    metrics = api.get(f"{base_url}/api/runs/{run_id}/metrics").json()["items"]
    assert any(m["name"] == "train_loss" for m in metrics), json.dumps(metrics)[:500]

    # Run again unchanged: an exact clone is queued and opened; cancelled here, it has proved its point.
    page.get_by_test_id("clone-run").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith(f"/runs/{run_id + 1}"), timeout=15_000)
    source, clone = (api.get(f"{base_url}/api/runs/{i}").json() for i in (run_id, run_id + 1))
    assert (clone["config"], clone["split_hash"], clone["base_model"]) == (
        source["config"],
        source["split_hash"],
        source["base_model"],
    )
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("cancel-run").click()
    expect(page.get_by_test_id("run-status")).to_have_text("cancelled", timeout=60_000, ignore_case=True)

    page.goto(f"{base_url}/runs")
    expect(page.get_by_text("succeeded").first).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "runs.png"), full_page=True)

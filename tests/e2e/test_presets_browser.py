"""Presets, the run form's memory estimate and list inputs, and the run page's estimate vs measured, pre-flight,
log, checkpoints and downloads, in Chromium. Screenshots of each screen under tests/e2e/screenshots/.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from tests.e2e.browser import SCREENSHOTS, Studio, api_client, chromium_page, studio_with_a_dataset
from tests.processes import celery_worker

TIMEOUT = 15_000

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    with studio_with_a_dataset(tmp_path_factory.mktemp("studio")) as running:
        yield running


@pytest.fixture(scope="module")
def page(studio: Studio) -> Iterator[Any]:
    with chromium_page(TIMEOUT, signed_in_to=studio.base_url) as page:
        yield page


def presets(base_url: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in api_client(base_url).get(f"{base_url}/api/presets").json()["items"]}


def card(page: Any, name: str) -> Any:
    return page.get_by_test_id("preset-card").filter(
        has=page.get_by_test_id("preset-name").get_by_text(name, exact=True)
    )


def test_presets_create_edit_version_duplicate_delete(studio: Studio, page: Any) -> None:
    from playwright.sync_api import expect

    base_url = studio.base_url
    page.goto(base_url)
    page.get_by_test_id("nav-presets").click()
    page.wait_for_url("**/presets")
    builtins = [p for p in presets(base_url).values() if p["builtin"]]
    expect(page.get_by_test_id("preset-builtin")).to_have_count(len(builtins))
    quick = card(page, "Quick CPU check")
    expect(quick.get_by_test_id("preset-duplicate")).to_have_text("Duplicate to edit")
    expect(quick.get_by_test_id("preset-edit")).to_have_count(0)
    expect(quick.get_by_test_id("preset-delete")).to_have_count(0)
    # What it sets, next to the default it replaces.
    expect(quick.locator("[data-testid=preset-setting][data-name=max_steps]")).to_contain_text("10")
    expect(quick.locator("[data-testid=preset-setting][data-name=max_steps]")).to_contain_text("default -1")
    page.screenshot(path=str(SCREENSHOTS / "presets.png"), full_page=True)

    # Create: the API's 422 lands next to the field it names.
    page.get_by_test_id("new-preset-link").click()
    page.get_by_test_id("preset-name-input").fill("Small LoRA")
    page.get_by_test_id("preset-description-input").fill("Rank 8 for small datasets.")
    page.get_by_test_id("hp-lora_r").fill("8")
    page.get_by_test_id("hp-warmup_ratio").fill("0.1")
    page.get_by_test_id("hp-warmup_steps").fill("10")
    page.get_by_test_id("preset-save").click()
    warmup_error = page.locator(".hp-field", has=page.get_by_test_id("hp-warmup_steps")).get_by_test_id("field-error")
    expect(warmup_error).to_contain_text("not both")
    assert "Small LoRA" not in presets(base_url)
    page.screenshot(path=str(SCREENSHOTS / "preset-error.png"), full_page=True)
    page.get_by_test_id("hp-warmup_steps").fill("")
    page.get_by_test_id("preset-save").click()
    page.wait_for_url(re.compile(r"/presets$"))
    small = card(page, "Small LoRA")
    expect(small.get_by_test_id("preset-version")).to_have_text("v1")
    expect(small.locator("[data-testid=preset-setting][data-name=lora_r]")).to_contain_text("8")
    stored = presets(base_url)["Small LoRA"]
    assert stored["hyperparameters"] == {"lora_r": 8, "warmup_ratio": 0.1}

    # Edit: each save is the next version.
    small.get_by_test_id("preset-edit").click()
    expect(page.get_by_test_id("hp-lora_r")).to_have_value("8")
    page.get_by_test_id("hp-lora_r").fill("4")
    page.get_by_test_id("hp-layers_to_transform").fill("0, 1")
    expect(page.get_by_test_id("preset-save")).to_have_text("Save as v2")
    page.screenshot(path=str(SCREENSHOTS / "preset-edit.png"), full_page=True)
    page.get_by_test_id("preset-save").click()
    page.wait_for_url(re.compile(r"/presets$"))
    expect(small.get_by_test_id("preset-version")).to_have_text("v2")
    expect(small.locator("[data-testid=preset-setting][data-name=layers_to_transform]")).to_contain_text("0, 1")
    stored = presets(base_url)["Small LoRA"]
    assert (stored["version"], stored["hyperparameters"]["lora_r"]) == (2, 4)
    assert stored["hyperparameters"]["layers_to_transform"] == [0, 1]

    # A built-in is copied, never changed.
    quick.get_by_test_id("preset-duplicate").click()
    expect(page.get_by_test_id("preset-name-input")).to_have_value("Quick CPU check (copy)")
    expect(page.get_by_test_id("hp-max_steps")).to_have_value("10")
    page.get_by_test_id("preset-name-input").fill("Quicker check")
    page.get_by_test_id("hp-max_steps").fill("4")
    page.get_by_test_id("preset-save").click()
    page.wait_for_url(re.compile(r"/presets$"))
    expect(card(page, "Quicker check").get_by_test_id("preset-version")).to_have_text("v1")
    assert presets(base_url)["Quicker check"]["hyperparameters"]["max_steps"] == 4
    assert presets(base_url)["Quick CPU check"]["hyperparameters"]["max_steps"] == 10
    page.screenshot(path=str(SCREENSHOTS / "presets-custom.png"), full_page=True)

    # Delete: the confirmation says runs keep their snapshot.
    messages: list[str] = []

    def accept(dialog: Any) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    small.get_by_test_id("preset-delete").click()
    expect(card(page, "Small LoRA")).to_have_count(0)
    assert "keep their own snapshot" in messages[0]
    assert "Small LoRA" not in presets(base_url)


def test_estimate_panel_and_list_inputs(studio: Studio, page: Any) -> None:
    from playwright.sync_api import expect

    base_url = studio.base_url
    page.goto(f"{base_url}/runs/new?dataset={studio.dataset_id}")
    page.get_by_test_id("run-model-select").select_option(value=str(studio.model))
    page.get_by_test_id("run-preset-select").select_option(label="Quick CPU check")
    panel = page.get_by_test_id("estimate-panel")
    expect(panel.get_by_test_id("estimate-body")).to_have_attribute("data-updating", "false")
    # The numbers are the API's for exactly this form: the tiny model under the preset.
    quick = presets(base_url)["Quick CPU check"]
    request = {"dataset_id": studio.dataset_id, "base_model": str(studio.model), "preset_id": quick["id"]}
    expected = api_client(base_url).post(f"{base_url}/api/runs/estimate", json=request, timeout=60).json()
    expect(panel).to_contain_text(f"{expected['trainable_parameters']:,} of {expected['total_parameters']:,}")
    expect(panel.get_by_test_id("estimate-verdict")).to_have_text("fits")
    expect(panel.get_by_test_id("estimate-peak")).to_contain_text(re.compile(r"≈ [\d.]+ [kMG]B"))
    expect(panel.get_by_test_id("memory-bar")).to_be_visible()
    expect(panel.get_by_test_id("memory-weights")).to_contain_text(re.compile(r"[\d.]+ [kMG]B"))
    expect(panel.get_by_test_id("estimate-time")).to_be_visible()
    # Only a light worker runs here: the run would wait in the queue, and this machine's memory stands in.
    expect(panel.get_by_test_id("estimate-no-worker")).to_contain_text("The run will wait in the queue")
    expect(page.get_by_test_id("workers-summary")).to_have_text("no training worker")
    page.screenshot(path=str(SCREENSHOTS / "new-run-estimate.png"), full_page=True)
    panel.screenshot(path=str(SCREENSHOTS / "estimate-panel.png"))

    # A huge batch of long packed rows: the estimate says it will not fit, and what to change.
    page.get_by_test_id("advanced-hyperparameters").locator("summary").click()
    page.get_by_test_id("hp-per_device_train_batch_size").fill("1024")
    page.get_by_test_id("hp-packing").select_option("true")
    page.get_by_test_id("hp-max_seq_length").fill("8192")
    expect(panel.get_by_test_id("estimate-verdict")).to_have_text("won't fit", timeout=30_000)
    warning = panel.get_by_test_id("estimate-warning")
    expect(warning).to_contain_text("Will not fit")
    expect(warning).to_contain_text(re.compile(r"needs [\d.]+ GB, this machine has [\d.]+ GB; try "))
    panel.screenshot(path=str(SCREENSHOTS / "estimate-panel-too-big.png"))

    # A list of layer numbers: a typo is named, next to the field and above the launch button.
    page.get_by_test_id("hp-per_device_train_batch_size").fill("")
    page.get_by_test_id("hp-packing").select_option("")
    page.get_by_test_id("hp-max_seq_length").fill("")
    page.get_by_test_id("hp-layers_to_transform").fill("0, 3a")
    expect(panel.get_by_test_id("estimate-waiting")).to_contain_text("layers_to_transform")
    page.get_by_test_id("launch-run").click()
    field = page.locator(".hp-field", has=page.get_by_test_id("hp-layers_to_transform"))
    expect(field.get_by_test_id("field-error")).to_have_text("'3a' is not a layer number")
    expect(page.get_by_test_id("run-create-error")).to_contain_text("layers_to_transform: '3a' is not a layer number")
    page.get_by_test_id("hp-layers_to_transform").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "new-run-list-error.png"), full_page=True)
    assert api_client(base_url).get(f"{base_url}/api/runs").json()["total"] == 0

    page.get_by_test_id("hp-layers_to_transform").fill("0, 1")
    expect(panel.get_by_test_id("estimate-verdict")).to_have_text("fits", timeout=30_000)

    # Two training workers on other machines, as their registry rows say: a big CPU one, and a GPU too small.
    with registered_workers(
        studio,
        {"hostname": "cpu-big.example", "device": "cpu", "device_name": "AMD EPYC", "memory_bytes": 64 * 10**9},
        {"hostname": "gpu-small.example", "device": "cuda", "device_name": "NVIDIA Tiny GPU", "memory_bytes": 2**28},
    ):
        page.get_by_test_id("hp-layers_to_transform").fill("0")
        expect(panel.get_by_test_id("estimate-verdict")).to_have_text("too big for some", timeout=30_000)
        workers = panel.get_by_test_id("estimate-worker")
        expect(workers).to_have_count(2)
        expect(workers.nth(0)).to_have_attribute("data-fits", "true")
        expect(workers.nth(1)).to_have_attribute("data-fits", "false")
        expect(workers.nth(1)).to_contain_text("gpu-small.example")
        warning = panel.get_by_test_id("estimate-warning")
        expect(warning).to_contain_text("Too big for some workers")
        expect(warning).to_contain_text("fits on 1 of 2 training workers; too small: gpu-small.example has 0.3 GB")
        panel.screenshot(path=str(SCREENSHOTS / "estimate-panel-workers.png"))
        page.reload()
        expect(page.get_by_test_id("workers-summary")).to_have_text("2 training workers · cpu, cuda · 268 MB–64 GB")


@contextmanager
def registered_workers(studio: Studio, *rows: dict[str, Any]) -> Iterator[None]:
    """Registry rows standing for training workers on other machines (this one has no GPU), as such a worker writes
    its own; seen in the future, so they stay live however long the browser takes. Removed afterwards."""
    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    from backend.core.db import make_engine
    from backend.models import Worker, utcnow

    engine = make_engine(f"sqlite:///{studio.root / 'data' / 'studio.sqlite'}")
    ids = [f"fake{index}" for index in range(len(rows))]
    later = utcnow() + timedelta(minutes=10)
    with Session(engine) as session, session.begin():
        for worker_id, row in zip(ids, rows, strict=True):
            defaults = {"pid": 1, "queues": ["training"], "device_count": 1, "cpu_count": 8, "versions": {}}
            session.add(Worker(id=worker_id, **{**defaults, **row}, started_at=utcnow(), last_seen_at=later))
    try:
        yield
    finally:
        with Session(engine) as session, session.begin():
            session.execute(delete(Worker).where(Worker.id.in_(ids)))
        engine.dispose()


def test_run_page_estimate_vs_measured_log_checkpoints_downloads(studio: Studio, page: Any) -> None:
    from playwright.sync_api import expect

    base_url = studio.base_url
    with celery_worker(studio.env, studio.root / "worker.log"):
        page.goto(f"{base_url}/runs/new?dataset={studio.dataset_id}")
        page.get_by_test_id("run-model-select").select_option(value=str(studio.model))
        page.get_by_test_id("run-preset-select").select_option(label="Quick CPU check")
        page.get_by_test_id("run-preflight").check()
        page.get_by_test_id("advanced-hyperparameters").locator("summary").click()
        page.get_by_test_id("hp-merge_adapter").select_option("true")
        page.get_by_test_id("launch-run").click()
        page.wait_for_url(re.compile(r"/runs/\d+$"))
        expect(page.get_by_test_id("run-status")).to_have_text("succeeded", timeout=300_000, ignore_case=True)
        # The training worker lists itself; the sidebar says what runs can train on.
        expect(page.get_by_test_id("workers-summary")).to_contain_text("1 training worker · cpu · ", timeout=30_000)

    run_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    run = api_client(base_url).get(f"{base_url}/api/runs/{run_id}").json()
    assert run["preflight"] is True

    # Pre-flight figures, and the estimate next to what was measured.
    figures = page.get_by_test_id("preflight-figures")
    expect(figures.get_by_test_id("preflight-seconds-per-step")).to_contain_text(" s")
    expect(figures.get_by_test_id("preflight-peak")).to_contain_text("B")
    comparison = page.get_by_test_id("memory-comparison")
    expect(comparison.get_by_test_id("measured-peak")).to_contain_text("B")
    expect(comparison.get_by_test_id("memory-bar")).to_be_visible()

    # The log: progress hidden until asked for; the pre-flight reported.
    log = page.get_by_test_id("run-log")
    expect(log.locator("[data-kind=preflight]").first).to_be_visible()
    expect(log.locator("[data-kind=progress]")).to_have_count(0)
    page.get_by_test_id("log-show-progress").check()
    expect(log.locator("[data-kind=progress]").first).to_be_visible()
    page.get_by_test_id("log-show-progress").uncheck()

    # Checkpoints, and the adapter and the merged model as zips.
    checkpoints = api_client(base_url).get(f"{base_url}/api/runs/{run_id}/checkpoints").json()["items"]
    expect(page.get_by_test_id("checkpoint-row")).to_have_count(len(checkpoints))
    for name in ("adapter", "merged"):
        link = page.get_by_test_id(f"artifact-{name}")
        expect(link).to_be_visible()
        response = api_client(base_url).get(base_url + link.get_attribute("href"), timeout=120)
        assert response.status_code == 200
        assert response.content[:2] == b"PK"
    page.screenshot(path=str(SCREENSHOTS / "run-details.png"), full_page=True)
    comparison.screenshot(path=str(SCREENSHOTS / "run-memory-comparison.png"))
    page.get_by_test_id("run-log").screenshot(path=str(SCREENSHOTS / "run-log.png"))


def test_new_run_form_offers_one_default_and_takes_the_user_to_a_rejected_field(studio: Studio, page: Any) -> None:
    """One "studio defaults" choice, not a "No preset" option next to the built-in preset; a field the API rejects
    is opened, scrolled to and focused, and the error names the field, not an HTTP status."""
    from playwright.sync_api import expect

    base_url = studio.base_url
    runs_before = api_client(base_url).get(f"{base_url}/api/runs").json()["total"]
    page.goto(f"{base_url}/runs/new?dataset={studio.dataset_id}")
    page.get_by_test_id("run-model-select").select_option(value=str(studio.model))
    options = page.get_by_test_id("run-preset-select").locator("option").all_inner_texts()
    assert [o for o in options if o.startswith("Studio default")] == ["Studio default (LoRA on CPU, QLoRA on GPU)"]
    assert not [o for o in options if o.startswith("No preset")]

    # Valid one by one, refused together by the API: a 422 naming hyperparameters.warmup_steps.
    page.get_by_test_id("advanced-hyperparameters").locator("summary").click()
    page.get_by_test_id("hp-warmup_ratio").fill("0.1")
    page.get_by_test_id("hp-warmup_steps").fill("5")
    page.get_by_test_id("advanced-hyperparameters").locator("summary").click()  # folded: the error must open it
    page.get_by_test_id("launch-run").click()
    expect(page.get_by_test_id("hp-warmup_steps")).to_be_focused()
    expect(page.get_by_test_id("hp-warmup_steps")).to_be_in_viewport()
    error = page.get_by_test_id("run-create-error")
    expect(error).to_contain_text("set warmup_steps or warmup_ratio, not both")
    expect(error).not_to_contain_text(re.compile(r"HTTP \d{3}"))
    page.screenshot(path=str(SCREENSHOTS / "new-run-server-error.png"), full_page=False)
    assert api_client(base_url).get(f"{base_url}/api/runs").json()["total"] == runs_before

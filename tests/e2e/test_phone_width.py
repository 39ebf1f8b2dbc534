"""Every page at a phone's width (390 px) and at a laptop's (1280 px), with real data: nothing makes the page
scroll sideways (wide tables and forms scroll or stack inside their cards). Screenshots of each page under the
test's temporary directory."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.browser import api_client, chromium_page, studio_with_a_dataset

TIMEOUT = 15_000

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class PhoneStudio:
    base_url: str
    model: Path
    dataset_id: int
    run_id: int
    preset_id: int


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoneStudio]:
    """A studio with the tiny model, one Alpaca dataset (token counts by a light worker), a preset of ours (built-ins
    are not editable) and one queued run: no training worker, so the run stays queued."""
    name = "alpaca with a rather long name, as people name their datasets"
    with studio_with_a_dataset(tmp_path_factory.mktemp("studio"), name) as running:
        base_url = running.base_url
        api = api_client(base_url)
        preset = api.post(f"{base_url}/api/presets", json={"name": "mine", "hyperparameters": {"lora_r": 8}}).json()
        run = api.post(
            f"{base_url}/api/runs",
            json={"dataset_id": running.dataset_id, "base_model": str(running.model), "preset_id": preset["id"]},
        )
        assert run.status_code == 201, run.text
        yield PhoneStudio(base_url, running.model, running.dataset_id, run.json()["id"], preset["id"])


def pages(studio: PhoneStudio) -> list[tuple[str, str, str]]:
    """(name, path, a test id that is there once the page has loaded its data)."""
    tokenizer = f"model={quote(str(studio.model), safe='')}"
    return [
        ("datasets", "/datasets", "dataset-row"),
        ("dataset", f"/datasets/{studio.dataset_id}?{tokenizer}", "token-histogram"),
        ("preview", f"/datasets/{studio.dataset_id}/preview?{tokenizer}", "token-preview"),
        ("convert", "/datasets/convert", "convert-form"),
        ("new-run", f"/runs/new?dataset={studio.dataset_id}", "launch-run"),
        ("runs", "/runs", "run-row"),
        ("run", f"/runs/{studio.run_id}", "run-status"),
        ("presets", "/presets", "preset-card"),
        ("preset-editor", f"/presets/{studio.preset_id}/edit", "preset-form"),
        ("account", "/account", "tokens-card"),
        ("users", "/users", "user-row"),
        ("not-found", "/no-such-page", "nav-datasets"),
    ]


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)], ids=["phone", "laptop"])
def test_no_page_scrolls_sideways(studio: PhoneStudio, width: int, height: int, tmp_path: Path) -> None:
    with chromium_page(TIMEOUT, viewport=(width, height), signed_in_to=studio.base_url) as page:
        overflowing: dict[str, int] = {}
        for name, path, ready in pages(studio):
            page.goto(f"{studio.base_url}{path}")
            page.get_by_test_id(ready).first.wait_for()
            page.wait_for_timeout(300)  # charts size themselves to their container after the first frame
            scroll_width: int = page.evaluate("document.documentElement.scrollWidth")
            inner_width: int = page.evaluate("window.innerWidth")
            page.screenshot(path=str(tmp_path / f"{width}-{name}.png"), full_page=True)
            if scroll_width > inner_width:
                overflowing[name] = scroll_width
        assert overflowing == {}, f"pages wider than the {width} px window: {overflowing} (screenshots in {tmp_path})"


def test_phone_navigation_reaches_every_section(studio: PhoneStudio) -> None:
    """At phone width the navigation is one compact row that scrolls by itself, not a tall wrapped header."""
    with chromium_page(TIMEOUT, viewport=(390, 844), signed_in_to=studio.base_url) as page:
        page.goto(f"{studio.base_url}/runs")
        header: Any = page.locator(".sidebar").bounding_box()
        assert header["height"] <= 110, header
        for link, heading in [("nav-datasets", "/datasets"), ("nav-presets", "/presets"), ("nav-new-run", "/runs/new")]:
            page.get_by_test_id(link).click()
            page.wait_for_url(f"**{heading}")

"""What every browser test needs: a migrated embedded studio's environment, and Chromium from the system."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import alpaca_rows, jsonl
from tests.processes import REPO, api_server, celery_worker
from tests.tiny_model import build_tiny_llama

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "tests" / "e2e" / "screenshots"


def embedded_studio_env(root: Path) -> dict[str, str]:
    """The embedded default as `make up` runs it (SQLite, SQLAlchemy transport) in `root`, migrated."""
    if not (REPO / "frontend" / "dist" / "index.html").is_file():
        pytest.fail("frontend/dist is missing: `make test` builds it (make frontend)")
    env = {"STUDIO_DATA_DIR": str(root / "data"), "STUDIO_DATABASE_URL": "", "STUDIO_BROKER_URL": ""}
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=REPO, env={**os.environ, **env}, check=True
    )
    return env


@dataclass(frozen=True)
class Studio:
    base_url: str
    model: Path
    dataset_id: int
    env: dict[str, str]
    root: Path


@contextmanager
def studio_with_a_dataset(root: Path, dataset_name: str = "alpaca") -> Iterator[Studio]:
    """A migrated SQLite studio in `root`, its API and a light worker (token counts), the tiny model registered and
    one 40-row Alpaca dataset."""
    env = embedded_studio_env(root)
    model = build_tiny_llama(root / "tiny-llama")
    with celery_worker(env, root / "light.log", "light"), api_server(env, root / "api.log") as base_url:
        response = httpx.post(f"{base_url}/api/models", json={"name_or_path": str(model)})
        assert response.status_code == 201, response.text
        response = httpx.post(
            f"{base_url}/api/datasets",
            files={"file": ("alpaca.jsonl", jsonl(alpaca_rows(40)))},
            data={"name": dataset_name},
            timeout=60,
        )
        assert response.status_code == 201, response.text
        yield Studio(base_url, model, response.json()["id"], env, root)


@contextmanager
def chromium_page(timeout_ms: int | None = None, viewport: tuple[int, int] = (1440, 1000)) -> Iterator[Any]:
    """A Playwright page in the system's Chromium (downloading browsers is not possible here)."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        if timeout_ms is not None:
            page.set_default_timeout(timeout_ms)
        yield page
        browser.close()

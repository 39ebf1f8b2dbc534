"""What every browser test needs: a migrated embedded studio's environment, and Chromium from the system."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.processes import REPO

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

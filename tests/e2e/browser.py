"""What every browser test needs: a migrated embedded studio's environment with its admin, an API client signed in
as that admin, and Chromium from the system (its page signed in, for tests that are not about signing in)."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import reset_caches
from tests.factories import alpaca_rows, jsonl
from tests.processes import REPO, api_server, celery_worker
from tests.tiny_model import build_tiny_llama

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "tests" / "e2e" / "screenshots"

# The admin the API creates at start (STUDIO_ADMIN_EMAIL / STUDIO_ADMIN_PASSWORD) in every studio of these tests.
# example.com: the API refuses special-use domains such as .test in sign-in and sign-up.
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "browser-tests-admin-passphrase"


def embedded_studio_env(root: Path, *, admin: bool = True) -> dict[str, str]:
    """The embedded default as `make up` runs it (SQLite, SQLAlchemy transport) in `root`, migrated; with `admin`,
    the API creates the test admin at start (without: a fresh studio whose first screen creates it)."""
    if not (REPO / "frontend" / "dist" / "index.html").is_file():
        pytest.fail("frontend/dist is missing: `make test` builds it (make frontend)")
    env = {"STUDIO_DATA_DIR": str(root / "data"), "STUDIO_DATABASE_URL": "", "STUDIO_BROKER_URL": ""}
    # The tests build their tiny model under `root`: admins may register models from there.
    env["STUDIO_MODEL_ROOTS"] = str(root)
    if admin:
        env |= {"STUDIO_ADMIN_EMAIL": ADMIN_EMAIL, "STUDIO_ADMIN_PASSWORD": ADMIN_PASSWORD}
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=REPO, env={**os.environ, **env}, check=True
    )
    return env


@cache
def api_client(base_url: str, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> httpx.Client:
    """An httpx client for the studio at `base_url`, signed in as `email` with a Bearer token from the OAuth2
    password grant (as a script would). One per studio and user, kept for the test session."""
    response = httpx.post(f"{base_url}/api/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def sign_in(page: Any, base_url: str, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    """Sign the page's browser context in without the sign-in form: its request context shares the cookies."""
    response = page.request.post(f"{base_url}/api/auth/session", data={"email": email, "password": password})
    assert response.ok, response.text()


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
        api = api_client(base_url)
        response = api.post("/api/models", json={"name_or_path": str(model)})
        assert response.status_code == 201, response.text
        response = api.post(
            "/api/datasets",
            files={"file": ("alpaca.jsonl", jsonl(alpaca_rows(40)))},
            data={"name": dataset_name},
            timeout=60,
        )
        assert response.status_code == 201, response.text
        yield Studio(base_url, model, response.json()["id"], env, root)


@contextmanager
def chromium_page(
    timeout_ms: int | None = None, viewport: tuple[int, int] = (1440, 1000), *, signed_in_to: str | None = None
) -> Iterator[Any]:
    """A Playwright page in the system's Chromium (downloading browsers is not possible here); with `signed_in_to`
    (a studio's base URL), signed in there as the test admin."""
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
        if signed_in_to is not None:
            sign_in(page, signed_in_to)
        yield page
        browser.close()


@contextmanager
def studio_database(studio: Studio) -> Iterator[None]:
    """This process's sessions on the studio's database, as its worker writes it."""
    saved = {key: os.environ.get(key) for key in studio.env}
    os.environ.update(studio.env)
    reset_caches()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_caches()


def wait_until(page: Any, expression: str, timeout: float = 10.0) -> None:
    """Until the JavaScript `expression` (or arrow function) is true in the page. Not page.wait_for_function: its
    polling compiles the predicate inside the page, which the studio's Content-Security-Policy (no unsafe-eval)
    refuses; page.evaluate runs it through the debugger protocol instead."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:g} s: {expression}")
        time.sleep(0.1)

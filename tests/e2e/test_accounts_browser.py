"""Accounts in Chromium, on a fresh studio started without STUDIO_ADMIN_*: the first screen creates the admin, sign
out and in (a wrong password answered at its field, the page asked for reached after signing in), an invitation
link that makes a member who sees none of the admin's data, a personal API token that works from a script, a
reviewer without upload or launch actions, and a session that ends while the page is open. Screenshots at 1280 and 390 px under tests/e2e/screenshots/."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.browser import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    SCREENSHOTS,
    api_client,
    chromium_page,
    embedded_studio_env,
    sign_in,
)
from tests.factories import alpaca_rows, jsonl
from tests.processes import api_server

TIMEOUT = 15_000
MEMBER_EMAIL = "member@example.com"
MEMBER_PASSWORD = "member-passphrase-for-tests"
REVIEWER_EMAIL = "reviewer@example.com"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated SQLite studio and its API, with no account at all (no STUDIO_ADMIN_*); no worker: nothing trains."""
    root = tmp_path_factory.mktemp("studio")
    with api_server(embedded_studio_env(root, admin=False), root / "api.log") as url:
        yield url


def ensure_admin(base_url: str) -> None:
    """The first test creates the admin in the browser; a test run alone creates it through the same endpoint."""
    if httpx.get(f"{base_url}/api/auth/state").json()["needs_admin"]:
        response = httpx.post(f"{base_url}/api/auth/setup", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert response.status_code == 201, response.text


def test_first_run_sign_in_invitation_and_api_token(base_url: str) -> None:
    from playwright.sync_api import expect

    with chromium_page(TIMEOUT, viewport=(1280, 900)) as page:
        # A studio without accounts: whatever page is asked for, the first screen creates the admin.
        page.goto(f"{base_url}/datasets")
        expect(page.get_by_role("heading", name="Create the admin account")).to_be_visible()
        expect(page.get_by_test_id("nav-datasets")).to_have_count(0)
        page.get_by_test_id("setup-email").fill(ADMIN_EMAIL)
        page.get_by_test_id("setup-password").fill(ADMIN_PASSWORD)
        page.get_by_test_id("setup-confirm").fill(ADMIN_PASSWORD + "x")
        page.get_by_test_id("setup-submit").click()
        expect(page.get_by_test_id("setup-confirm-error")).to_have_text("The two passwords differ.")
        page.screenshot(path=str(SCREENSHOTS / "accounts-first-run-1280.png"), full_page=True)
        page.get_by_test_id("setup-confirm").fill(ADMIN_PASSWORD)
        page.get_by_test_id("setup-submit").click()

        # Signed in at once, as the admin; the Users page is in the navigation for admins only.
        page.wait_for_url("**/runs")
        expect(page.get_by_test_id("user-email")).to_have_text(ADMIN_EMAIL)
        expect(page.get_by_test_id("user-role")).to_have_text("Admin")
        expect(page.get_by_test_id("nav-users")).to_be_visible()
        assert httpx.get(f"{base_url}/api/auth/state").json()["needs_admin"] is False

        page.get_by_test_id("sign-out").click()
        page.wait_for_url("**/signin**")
        expect(page.get_by_test_id("user-menu")).to_have_count(0)

        # Asking for a page while signed out: sign in first, then that page.
        page.goto(f"{base_url}/users")
        page.wait_for_url("**/signin?next=%2Fusers")
        page.get_by_test_id("signin-email").fill(ADMIN_EMAIL)
        page.get_by_test_id("signin-password").fill("not the password")
        page.get_by_test_id("signin-submit").click()
        expect(page.get_by_test_id("signin-password-error")).to_have_text("Wrong email or password.")
        expect(page.get_by_test_id("signin-password")).to_have_attribute("aria-invalid", "true")
        page.screenshot(path=str(SCREENSHOTS / "accounts-signin-error-1280.png"), full_page=True)
        page.get_by_test_id("signin-password").fill(ADMIN_PASSWORD)
        page.get_by_test_id("signin-submit").click()
        page.wait_for_url("**/users")
        expect(page.get_by_test_id("user-row")).to_have_count(1)

        # The admin's own data, which a member must never see.
        admin_api = api_client(base_url)
        response = admin_api.post(
            "/api/datasets", files={"file": ("admin.jsonl", jsonl(alpaca_rows(20)))}, data={"name": "admin-only"}
        )
        assert response.status_code == 201, response.text

        # An invitation: its link is shown once, with a copy button.
        page.get_by_test_id("invitation-email").fill(MEMBER_EMAIL)
        page.get_by_test_id("invitation-role").select_option("member")
        page.get_by_test_id("create-invitation").click()
        expect(page.get_by_test_id("invitation-created")).to_contain_text("You won't see it again")
        expect(page.get_by_test_id("invitation-link-copy")).to_be_visible()
        link = page.get_by_test_id("invitation-link").input_value()
        assert link.startswith(f"{base_url}/signup?invitation="), link
        invitation_row = page.get_by_test_id("invitation-row").filter(has_text=MEMBER_EMAIL)
        expect(invitation_row.get_by_test_id("invitation-status")).to_have_text("Pending")
        page.screenshot(path=str(SCREENSHOTS / "accounts-users-1280.png"), full_page=True)

        # Another browser (no shared cookies) opens the link and creates the member account.
        context = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
        member = context.new_page()
        member.set_default_timeout(TIMEOUT)
        member.goto(link)
        expect(member.get_by_test_id("signup-mode")).to_contain_text("By invitation")
        member.screenshot(path=str(SCREENSHOTS / "accounts-signup-1280.png"), full_page=True)
        member.get_by_test_id("signup-email").fill(MEMBER_EMAIL)
        member.get_by_test_id("signup-password").fill(MEMBER_PASSWORD)
        member.get_by_test_id("signup-confirm").fill(MEMBER_PASSWORD)
        member.get_by_test_id("signup-submit").click()
        member.wait_for_url("**/runs")
        expect(member.get_by_test_id("user-email")).to_have_text(MEMBER_EMAIL)
        expect(member.get_by_test_id("user-role")).to_have_text("Member")
        expect(member.get_by_test_id("nav-users")).to_have_count(0)

        # None of the admin's datasets, in the page and through the API.
        member.get_by_test_id("nav-datasets").click()
        expect(member.get_by_text("No datasets yet")).to_be_visible()
        expect(member.get_by_test_id("dataset-row")).to_have_count(0)
        assert api_client(base_url, MEMBER_EMAIL, MEMBER_PASSWORD).get("/api/datasets").json()["total"] == 0

        # A personal API token: shown once, with a curl example, and it works from a script.
        member.get_by_test_id("user-email").click()
        member.wait_for_url("**/account")
        member.get_by_test_id("token-name").fill("laptop")
        member.get_by_test_id("token-expiry").select_option("30")
        member.get_by_test_id("create-token").click()
        expect(member.get_by_test_id("new-token")).to_contain_text("You won't see it again")
        token = member.get_by_test_id("new-token-value").input_value()
        curl = member.get_by_test_id("new-token-curl").input_value()
        assert curl == f'curl -H "Authorization: Bearer {token}" {base_url}/api/runs', curl
        row = member.get_by_test_id("token-row")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("laptop")
        expect(row).to_contain_text(f"{token[:6]}")
        member.screenshot(path=str(SCREENSHOTS / "accounts-account-1280.png"), full_page=True)
        me = httpx.get(f"{base_url}/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        assert (me.json()["email"], me.json()["role"]) == (MEMBER_EMAIL, "member")

        # The admin sees the invitation accepted and the new member.
        page.reload()
        expect(invitation_row.get_by_test_id("invitation-status")).to_have_text("Accepted")
        expect(page.get_by_test_id("user-row").filter(has_text=MEMBER_EMAIL)).to_have_count(1)

        # A reviewer added on the Users page sees no upload, new run or new preset.
        page.get_by_test_id("new-user-email").fill(REVIEWER_EMAIL)
        page.get_by_test_id("new-user-password").fill(MEMBER_PASSWORD)
        page.get_by_test_id("new-user-role").select_option("reviewer")
        page.get_by_test_id("add-user").click()
        expect(page.get_by_test_id("user-added")).to_contain_text(REVIEWER_EMAIL)
        expect(page.get_by_test_id("user-row").filter(has_text=REVIEWER_EMAIL)).to_have_count(1)
        reviewer = page.context.browser.new_page(viewport={"width": 1280, "height": 900})
        reviewer.set_default_timeout(TIMEOUT)
        sign_in(reviewer, base_url, REVIEWER_EMAIL, MEMBER_PASSWORD)
        reviewer.goto(f"{base_url}/datasets")
        expect(reviewer.get_by_test_id("user-role")).to_have_text("Reviewer")
        expect(reviewer.get_by_test_id("reviewer-notice")).to_be_visible()
        expect(reviewer.get_by_test_id("dataset-file-input")).to_have_count(0)
        expect(reviewer.get_by_test_id("nav-new-run")).to_have_count(0)
        reviewer.get_by_test_id("nav-presets").click()
        expect(reviewer.get_by_test_id("preset-card").first).to_be_visible()
        expect(reviewer.get_by_test_id("new-preset-link")).to_have_count(0)
        expect(reviewer.get_by_test_id("preset-duplicate")).to_have_count(0)
        reviewer.close()

        # The session ends while the page is open (cookie gone): the next request sends the user to sign in,
        # and back to where they were.
        member.context.clear_cookies()
        member.get_by_test_id("nav-runs").click()
        member.wait_for_url("**/signin?next=%2Fruns")
        context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_account_pages_fit_the_window(base_url: str, width: int) -> None:
    """Sign-in, sign-up, Account and Users at a laptop's and a phone's width: nothing scrolls sideways."""
    ensure_admin(base_url)
    overflowing: dict[str, int] = {}

    def check(page: Any, name: str, ready: str) -> None:
        page.get_by_test_id(ready).first.wait_for()
        page.screenshot(path=str(SCREENSHOTS / f"accounts-{name}-{width}.png"), full_page=True)
        if page.evaluate("document.documentElement.scrollWidth") > width:
            overflowing[name] = page.evaluate("document.documentElement.scrollWidth")

    with chromium_page(TIMEOUT, viewport=(width, 844)) as page:
        page.goto(f"{base_url}/signin")
        check(page, "signin", "signin")
        page.goto(f"{base_url}/signup?invitation=not-a-real-one")
        check(page, "signup-form", "signup")

        sign_in(page, base_url)
        page.goto(f"{base_url}/account")
        page.get_by_test_id("token-name").fill("phone check")
        page.get_by_test_id("create-token").click()
        check(page, "account-new-token", "new-token")
        page.goto(f"{base_url}/users")
        page.get_by_test_id("invitation-email").fill(f"someone-{width}@example.com")
        page.get_by_test_id("create-invitation").click()
        check(page, "users-invitation", "invitation-created")
        page.goto(f"{base_url}/runs")
        check(page, "runs", "user-menu")
    assert overflowing == {}, f"pages wider than {width} px: {overflowing} (screenshots in {SCREENSHOTS})"

"""The run page's webhook card and finish notification in Chromium: a webhook set on a queued run receives its
cancellation (signed, listed on the page), and the watching browser is notified when the run ends."""

import json
from pathlib import Path

import pytest

from backend.core.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.e2e.browser import SCREENSHOTS, api_client, chromium_page, studio_with_a_dataset
from tests.processes import poll
from tests.webhook_server import running_receiver

pytestmark = pytest.mark.e2e

# The Notification API, recording what the page shows: headless Chromium has no notification centre to look at.
RECORDING_NOTIFICATIONS = """
window.shownNotifications = [];
window.Notification = class {
  static permission = "default";
  static async requestPermission() { window.Notification.permission = "granted"; return "granted"; }
  constructor(title, options) { window.shownNotifications.push({ title, body: options && options.body }); }
};
"""


def test_a_webhook_hears_the_cancel_and_the_browser_notifies(tmp_path: Path) -> None:
    with studio_with_a_dataset(tmp_path) as studio, running_receiver() as receiver:
        api = api_client(studio.base_url)
        created = api.post(
            "/api/runs", json={"dataset_id": studio.dataset_id, "base_model": str(studio.model), "name": "watched"}
        )
        assert created.status_code == 201, created.text
        run_id = created.json()["id"]

        with chromium_page(signed_in_to=studio.base_url) as page:
            page.add_init_script(RECORDING_NOTIFICATIONS)
            page.goto(f"{studio.base_url}/runs/{run_id}")
            page.get_by_test_id("notify-when-finished").check()
            page.get_by_test_id("webhook-url").fill(receiver.url)
            page.get_by_test_id("webhook-secret").fill("browser-secret")
            page.get_by_test_id("webhook-save").click()
            page.get_by_test_id("webhook-remove").wait_for()
            assert page.get_by_test_id("webhook-secret").get_attribute("placeholder") == (
                "A secret is stored: blank keeps it"
            )
            page.screenshot(path=str(SCREENSHOTS / "run-webhook-queued-1280.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(SCREENSHOTS / "run-webhook-queued-390.png"))
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.set_viewport_size({"width": 1280, "height": 1000})

            assert api.post(f"/api/runs/{run_id}/cancel").json()["status"] == "cancelled"
            page.get_by_test_id("run-status").get_by_text("cancelled", exact=False).wait_for()
            shown = poll(
                lambda: page.evaluate("window.shownNotifications") or None, timeout=20, what="the notification"
            )
            assert [notification["title"] for notification in shown] == ["Run “watched” cancelled"]
            assert page.get_by_test_id("notify-when-finished").count() == 0  # the run is no longer active

            row = page.get_by_test_id("webhook-delivery")
            row.get_by_text("HTTP 200").wait_for(timeout=30_000)
            assert row.get_by_text("run.cancelled").count() == 1
            page.screenshot(path=str(SCREENSHOTS / "run-webhook-delivered-1280.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            page.get_by_test_id("webhook-card").scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / "run-webhook-delivered-390.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390

        [received] = receiver.received
        assert json.loads(received.body)["event"] == "run.cancelled"
        headers = received.headers
        assert verify("browser-secret", headers[TIMESTAMP_HEADER], received.body, headers[SIGNATURE_HEADER])

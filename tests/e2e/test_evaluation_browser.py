"""The run page's evaluation in Chromium, after a real run: the headline next to the loss verdict, a card per metric
with the API's numbers, every test example side by side, the filter; at a laptop's and a phone's width."""

import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import SCREENSHOTS, api_client, chromium_page, studio_with_a_dataset
from tests.processes import celery_worker

pytestmark = pytest.mark.e2e

QUICK = {
    "max_steps": 6,
    "eval_steps": 3,
    "per_device_train_batch_size": 4,
    "max_seq_length": 96,
    "max_new_tokens": 8,
    "learning_rate": 1e-3,
}
TIMEOUT = 15_000


def _wait_until_finished(api: Any, run_id: int, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run: dict[str, Any] = api.get(f"/api/runs/{run_id}").json()
        if run["status"] not in {"queued", "running"}:
            return run
        time.sleep(1)
    raise AssertionError(f"run {run_id} still {run['status']} after {timeout}s")


def _shown(text: str) -> float:
    return float(text.replace("−", "-"))


def test_run_page_compares_the_fine_tuned_answers_with_the_base_models(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("studio")
    with studio_with_a_dataset(root) as studio:
        api = api_client(studio.base_url)
        response = api.post(
            "/api/runs",
            json={"dataset_id": studio.dataset_id, "base_model": str(studio.model), "hyperparameters": QUICK},
        )
        assert response.status_code == 201, response.text
        run_id = response.json()["id"]

        with chromium_page(TIMEOUT, (1280, 900), signed_in_to=studio.base_url) as page:
            # No worker yet: the run waits, and the page says when the evaluation will come.
            page.goto(f"{studio.base_url}/runs/{run_id}")
            expect(page.get_by_test_id("evaluation-status")).to_contain_text("Evaluations appear when the run finishes")
            expect(page.get_by_test_id("evaluation")).to_have_count(0)

            with celery_worker(studio.env, root / "training.log", "training"):
                run = _wait_until_finished(api, run_id)
            assert run["status"] == "succeeded", (root / "training.log").read_text()[-3000:]

            evaluations = api.get("/api/evaluations", params={"run_id": run_id}).json()["items"]
            tuned = next(e for e in evaluations if e["model"] == "fine_tuned")
            base = next(e for e in evaluations if e["model"] == "base")
            comparison = api.get("/api/evaluations/compare", params={"a": base["id"], "b": tuned["id"]}).json()
            num_test = api.get(f"/api/datasets/{studio.dataset_id}").json()["num_test"]
            assert comparison["examples"] == num_test > 0

            page.reload()
            expect(page.get_by_test_id("run-status")).to_have_text("succeeded", ignore_case=True)
            # The headline, beside the loss verdict (both kept).
            expect(page.get_by_test_id("loss-comparison")).to_be_visible()
            headline = page.get_by_test_id("evaluation-headline-text")
            expect(headline).to_contain_text(f"Fine-tuned vs base on {num_test} test examples: ROUGE-L")
            expect(headline).to_contain_text("95% CI")
            rouge = next(m for m in comparison["metrics"] if m["name"] == "rouge_l")
            wording = {"better": "better", "worse": "worse", "no_clear_change": "no clear change"}
            expect(page.get_by_test_id("evaluation-verdict")).to_have_text(wording[rouge["verdict"]])
            if rouge["ci_low"] is not None and rouge["ci_low"] <= 0 <= rouge["ci_high"]:
                assert rouge["verdict"] == "no_clear_change"

            # One card per metric, with the API's numbers.
            cards = page.get_by_test_id("metric-card")
            expect(cards).to_have_count(len(comparison["metrics"]))
            for metric in comparison["metrics"]:
                card = page.locator(f"[data-testid=metric-card][data-metric={metric['name']}]")
                tolerance = 0.051 if metric["name"] == "answer_length" else 0.0051
                for test_id, key in (("metric-base", "a"), ("metric-tuned", "b"), ("metric-difference", "difference")):
                    shown = card.get_by_test_id(test_id).inner_text()
                    assert _shown(shown) == pytest.approx(metric[key], abs=tolerance), (metric["name"], key, shown)
                expect(card.get_by_test_id("metric-verdict")).to_have_text(
                    {**wording, "changed": "changed"}[metric["verdict"]]
                )
                expect(card.get_by_test_id("metric-counts")).to_contain_text(f"{metric['same']} same")
                expect(card).to_contain_text(metric["description"])

            # Every test example, both models' answers joined by example.
            rows = page.get_by_test_id("example-row")
            expect(rows).to_have_count(num_test)
            tuned_rows = api.get(f"/api/evaluations/{tuned['id']}/predictions", params={"limit": 500}).json()["items"]
            base_rows = {
                p["example_id"]: p
                for p in api.get(f"/api/evaluations/{base['id']}/predictions", params={"limit": 500}).json()["items"]
            }
            changes = [p["scores"]["rouge_l"] - base_rows[p["example_id"]]["scores"]["rouge_l"] for p in tuned_rows]
            first = tuned_rows[0]
            expect(page.locator(f"[data-testid=example-row][data-example='{first['example_id']}']")).to_contain_text(
                first["expected"]
            )
            page.screenshot(path=str(SCREENSHOTS / "evaluation-1280.png"), full_page=True)

            # The filter follows the change in ROUGE-L.
            example_filter = page.get_by_test_id("example-filter")
            for name, count in (
                ("regressions", sum(c < 0 for c in changes)),
                ("improvements", sum(c > 0 for c in changes)),
                ("unchanged", sum(c == 0 for c in changes)),
                ("all", num_test),
            ):
                example_filter.locator(f"[data-filter={name}]").click()
                expect(rows).to_have_count(count)
            page.get_by_test_id("example-search").fill("no answer contains this")
            expect(rows).to_have_count(0)
            page.get_by_test_id("example-search").fill("")
            expect(rows).to_have_count(num_test)

            # A phone: the cards stack, the table scrolls inside its card, nothing scrolls the page sideways.
            page.set_viewport_size({"width": 390, "height": 844})
            expect(cards.first).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.screenshot(path=str(SCREENSHOTS / "evaluation-390.png"), full_page=True)

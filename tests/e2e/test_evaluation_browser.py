"""The run page's evaluation in Chromium, after a real run: the headline next to the loss verdict, a card per metric
with the API's numbers, every test example side by side, the filter; then another evaluation made through the
"Evaluate…" dialog (a checkpoint, the validation split, sampling), listed, viewed and downloaded as CSV; at a laptop's
and a phone's width. One run serves both: training it is most of the test's time."""

import csv
import io
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import SCREENSHOTS, Studio, api_client, chromium_page, studio_with_a_dataset, wait_until
from tests.processes import celery_worker

pytestmark = pytest.mark.e2e

QUICK = {
    "max_steps": 6,
    "eval_steps": 3,
    "per_device_train_batch_size": 4,
    "max_seq_length": 96,
    "max_new_tokens": 8,
    "learning_rate": 1e-3,
    "save_steps": 3,  # a checkpoint at step 3 to evaluate besides the final weights
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


def test_run_page_scores_the_answers_and_evaluates_a_checkpoint(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
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

            # The worker stays for the evaluation made through the dialog.
            with celery_worker(studio.env, root / "training.log", "training"):
                run = _wait_until_finished(api, run_id)
                assert run["status"] == "succeeded", (root / "training.log").read_text()[-3000:]
                _the_automatic_comparison(page, api, studio, run_id)
                page.set_viewport_size({"width": 1280, "height": 900})
                _an_evaluation_through_the_dialog(page, api, studio, run_id)


def _the_automatic_comparison(page: Any, api: Any, studio: Studio, run_id: int) -> None:
    """Fine-tuned vs base on the test split, as the worker scored it when the run finished."""
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
        expect(card.get_by_test_id("metric-verdict")).to_have_text({**wording, "changed": "changed"}[metric["verdict"]])
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
    first_row = page.locator(f"[data-testid=example-row][data-example='{first['example_id']}']")
    # What a person wrote, not the template's boilerplate.
    for text in (first["instruction"], first["input"], first["expected"]):
        expect(first_row).to_contain_text(text)
    expect(first_row).not_to_contain_text("### Instruction")
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
    # Charts re-measure their canvas after a resize: give the layout a moment to settle before measuring it.
    wait_until(page, "document.documentElement.scrollWidth <= 390")
    page.screenshot(path=str(SCREENSHOTS / "evaluation-390.png"), full_page=True)


def _an_evaluation_through_the_dialog(page: Any, api: Any, studio: Studio, run_id: int) -> None:
    """The checkpoint at step 3 answers the validation split with sampling: a server 422 shown at its field, the
    evaluation listed until scored, its answers viewed alone and downloaded as CSV."""
    dataset = api.get(f"/api/datasets/{studio.dataset_id}").json()
    steps = [c["step"] for c in api.get(f"/api/runs/{run_id}/checkpoints").json()["items"] if not c["is_final"]]
    assert 3 in steps, steps
    page.get_by_test_id("evaluate-open").click()
    dialog = page.get_by_test_id("evaluate-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("eval-source").select_option("step:3")
    dialog.get_by_test_id("eval-examples").select_option("validation")
    expect(dialog.get_by_test_id("eval-examples").locator("option:checked")).to_have_text(
        f"validation split ({dataset['num_validation']} examples)"
    )
    dialog.locator("[data-strategy=sampling]").click()
    # Out of range: the server's 422 is shown at the field it names.
    dialog.get_by_test_id("eval-temperature").fill("5")
    dialog.get_by_test_id("evaluate-submit").click()
    expect(dialog.get_by_test_id("eval-temperature-error")).to_contain_text("less than or equal to 2")
    expect(dialog.get_by_test_id("eval-temperature")).to_be_focused()
    dialog.get_by_test_id("eval-temperature").fill("0.8")
    dialog.get_by_test_id("eval-seed").fill("7")
    dialog.get_by_test_id("eval-maxNewTokens").fill("6")
    dialog.get_by_test_id("eval-stop").fill("###")
    page.screenshot(path=str(SCREENSHOTS / "evaluate-dialog-1280.png"))
    dialog.get_by_test_id("evaluate-submit").click()
    expect(dialog).to_be_hidden()

    rows = page.get_by_test_id("evaluation-row")
    expect(rows).to_have_count(3)
    created = api.get("/api/evaluations", params={"run_id": run_id}).json()["items"][-1]
    assert (created["model"], created["checkpoint_step"], created["split"]) == ("fine_tuned", 3, "validation")
    decoding = created["decoding"]
    assert (decoding["strategy"], decoding["temperature"], decoding["seed"]) == ("sampling", 0.8, 7)
    assert (decoding["max_new_tokens"], decoding["stop"]) == (6, ["###"])
    row = page.locator(f"[data-testid=evaluation-row][data-evaluation='{created['id']}']")
    expect(row).to_contain_text("Fine-tuned, step 3")
    expect(row).to_contain_text("sampling T 0.8")
    expect(row).to_have_attribute("data-status", "succeeded", timeout=120_000)

    # Viewed alone (nothing else answered the validation split): its scores and every answer.
    scored = api.get(f"/api/evaluations/{created['id']}").json()
    row.get_by_test_id("evaluation-view").click()
    expect(page.get_by_test_id("evaluation")).to_contain_text(f"Scores: #{created['id']} fine-tuned (step 3)")
    expect(page.get_by_test_id("example-row")).to_have_count(dataset["num_validation"])
    rouge = page.locator("[data-testid=metric-card][data-metric=rouge_l]").get_by_test_id("metric-value")
    assert _shown(rouge.inner_text()) == pytest.approx(scored["metrics"]["rouge_l"]["value"], abs=0.0051)
    page.screenshot(path=str(SCREENSHOTS / "evaluation-checkpoint-1280.png"), full_page=True)

    with page.expect_download() as download:
        row.get_by_test_id("evaluation-export-csv").click()
    assert download.value.suggested_filename == f"evaluation-{created['id']}-fine_tuned-step3-validation.csv"
    cells = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert len(cells) == dataset["num_validation"]
    assert {"example_id", "instruction", "input", "expected", "generated", "rouge_l"} <= set(cells[0])

    page.set_viewport_size({"width": 390, "height": 844})
    # Charts re-measure their canvas after a resize: give the layout a moment to settle before measuring it.
    wait_until(page, "document.documentElement.scrollWidth <= 390")
    page.get_by_test_id("evaluations").screenshot(path=str(SCREENSHOTS / "evaluations-390.png"))
    page.get_by_test_id("evaluate-open").click()
    page.screenshot(path=str(SCREENSHOTS / "evaluate-dialog-390.png"))
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("evaluate-dialog")).to_be_hidden()

"""The review page and blind A/B in Chromium, keyboard only once a page is open: a run's fine-tuned answers graded
with 1/2/3, tagged, noted, corrected and undone, still there after a reload and through the API; the corrected answer
turned into a new dataset version; every pair of a blind A/B against the base model voted on with 1-4 and the win rate
read with its interval. Then data and answers that try to inject markup, long unbroken lines and right-to-left text:
shown literally, no dialog fires, nothing scrolls sideways on a phone. Screenshots in /tmp/review-shots. The runs are
marked finished with their evaluations written as a worker writes them: training is another test's business."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.core.db import get_sessionmaker
from backend.models import DatasetExample, Run, RunStatus, Split
from tests.e2e.browser import (
    Studio,
    api_client,
    chromium_page,
    studio_database,
    studio_with_a_dataset,
    wait_until,
)
from tests.factories import jsonl
from worker.evaluation_store import Answers, record_automatic

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/review-shots")
TIMEOUT = 15_000
WRONG = "I do not know"
CORRECTED = "A corrected answer, typed by the reviewer"

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"
LINK = "[click me](javascript:alert(1)) <a href=javascript:alert(1)>javascript:alert(1)</a>"
LONG = "x" * 700
ARABIC = "ما هي عاصمة فرنسا؟"
HEBREW = "מה בירת צרפת?"


def hostile_rows(count: int) -> list[dict[str, str]]:
    """Rows whose every field tries something: markup, a script link, a line with no break, right-to-left text."""
    return [
        {
            "instruction": f"{SCRIPT} {ARABIC} #{index}",
            "input": f"{IMAGE} {LONG}",
            "output": f"{HEBREW} {LINK}",
        }
        for index in range(count)
    ]


def finished_run(studio: Studio, dataset_id: int, tuned: Callable[[str], str], base: Callable[[str], str]) -> int:
    """A run of `dataset_id` marked succeeded with its two automatic evaluations on the test split, as a training
    worker leaves them: `tuned(expected)` and `base(expected)` give each model's answer."""
    api = api_client(studio.base_url)
    response = api.post("/api/runs", json={"dataset_id": dataset_id, "base_model": str(studio.model)})
    assert response.status_code == 201, response.text
    run_id: int = response.json()["id"]
    with studio_database(studio), get_sessionmaker().begin() as session:
        examples = list(
            session.scalars(
                select(DatasetExample)
                .where(DatasetExample.dataset_id == dataset_id, DatasetExample.split == Split.TEST)
                .order_by(DatasetExample.id)
            )
        )
        expected = [example.record["output"] for example in examples]
        prompts = [
            f"### Instruction:\n{e.record['instruction']}\n\n### Input:\n{e.record['input']}\n\n### Response:\n"
            for e in examples
        ]
        answers = Answers(
            [e.id for e in examples], prompts, expected, [tuned(x) for x in expected], [base(x) for x in expected]
        )
        run = session.get_one(Run, run_id)
        run.status = RunStatus.SUCCEEDED
        record_automatic(session, run, answers, fingerprint=None)
    return run_id


def evaluations_of(api: Any, run_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    items = api.get("/api/evaluations", params={"run_id": run_id}).json()["items"]
    return next(e for e in items if e["model"] == "fine_tuned"), next(e for e in items if e["model"] == "base")


def no_sideways_scroll(page: Any) -> None:
    wait_until(page, "document.documentElement.scrollWidth <= window.innerWidth")


def test_reviews_and_blind_ab_with_the_keyboard(tmp_path_factory: pytest.TempPathFactory) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with (
        studio_with_a_dataset(tmp_path_factory.mktemp("studio")) as studio,
        chromium_page(TIMEOUT, (1280, 900), signed_in_to=studio.base_url) as page,
    ):
        api = api_client(studio.base_url)
        run_id = finished_run(studio, studio.dataset_id, tuned=lambda expected: expected, base=lambda _: WRONG)
        tuned, base = evaluations_of(api, run_id)
        # An alert() run by injected markup would open a dialog: none may.
        dialogs: list[str] = []

        def on_dialog(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)

        _review_with_the_keyboard(page, api, studio, run_id, tuned)
        _dataset_from_the_reviews(page, api, studio, tuned)
        _blind_ab_with_the_keyboard(page, api, studio, run_id, tuned, base)
        _hostile_text_is_shown_as_text(page, api, studio)
        assert dialogs == []


def _review_with_the_keyboard(page: Any, api: Any, studio: Studio, run_id: int, tuned: dict[str, Any]) -> None:
    total = tuned["total"]
    predictions = api.get(f"/api/evaluations/{tuned['id']}/predictions", params={"limit": 500}).json()["items"]
    assert len(predictions) == total >= 3

    # The run page leads there, with how far the review is.
    page.goto(f"{studio.base_url}/runs/{run_id}")
    expect(page.get_by_test_id("run-review-summary")).to_have_text(f"0 of {total} reviewed")
    page.get_by_test_id("run-review").screenshot(path=str(SHOTS / "run-review-card-1280.png"))
    page.get_by_test_id("run-review-link").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{studio.base_url}/evaluations/{tuned['id']}/review")

    counter = page.get_by_test_id("review-counter")
    example = page.get_by_test_id("review-example")
    expect(counter).to_have_text(f"0 of {total} reviewed")
    expect(example).to_have_attribute("data-example", str(predictions[0]["example_id"]))
    expect(page.get_by_test_id("review-instruction")).to_have_text(predictions[0]["instruction"])

    # 1: correct; j: the next one; 3: wrong, with a tag, a note and a corrected answer.
    page.keyboard.press("1")
    expect(counter).to_have_text(f"1 of {total} reviewed")
    page.keyboard.press("j")
    expect(example).to_have_attribute("data-example", str(predictions[1]["example_id"]))
    page.keyboard.press("3")
    expect(counter).to_have_text(f"2 of {total} reviewed")
    page.keyboard.press("t")
    expect(page.get_by_test_id("review-tag-input")).to_be_focused()
    page.keyboard.type("hallucination")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("review-tags")).to_contain_text("hallucination")
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    expect(page.get_by_test_id("review-note")).to_be_focused()
    page.keyboard.type("Made up a number.")
    page.keyboard.press("Escape")
    page.keyboard.press("e")
    expect(page.get_by_test_id("review-corrected")).to_be_focused()
    page.keyboard.type(CORRECTED)
    page.keyboard.press("Escape")
    # s then a digit: the optional score.
    page.keyboard.press("s")
    page.keyboard.press("2")
    expect(page.locator("[data-testid=review-form] [data-score='2']")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("review-save-status")).to_have_text("Saved")
    page.screenshot(path=str(SHOTS / "review-1280.png"), full_page=True)

    # The arrow key moves on too; 2 grades partly, u takes it back.
    page.keyboard.press("ArrowRight")
    expect(example).to_have_attribute("data-example", str(predictions[2]["example_id"]))
    page.keyboard.press("2")
    expect(counter).to_have_text(f"3 of {total} reviewed")
    expect(page.locator("[data-testid=review-verdict] [data-verdict=partly]")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("u")
    expect(counter).to_have_text(f"2 of {total} reviewed")
    expect(page.locator("[data-testid=review-verdict] [data-verdict=partly]")).to_have_attribute(
        "aria-pressed", "false"
    )
    page.keyboard.press("k")
    expect(example).to_have_attribute("data-example", str(predictions[1]["example_id"]))

    # ? lists the keys; Escape closes the list.
    page.keyboard.press("?")
    expect(page.get_by_test_id("key-help")).to_be_visible()
    expect(page.get_by_test_id("key-help")).to_contain_text("Edit the corrected answer")
    page.get_by_test_id("key-help").screenshot(path=str(SHOTS / "review-keys.png"))
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("key-help")).to_be_hidden()

    # Through the API: the two reviews, as graded.
    reviews = {r["example_id"]: r for r in api.get(f"/api/evaluations/{tuned['id']}/reviews").json()}
    assert set(reviews) == {predictions[0]["example_id"], predictions[1]["example_id"]}
    assert reviews[predictions[0]["example_id"]]["verdict"] == "correct"
    graded = reviews[predictions[1]["example_id"]]
    assert (graded["verdict"], graded["score"], graded["tags"]) == ("wrong", 2, ["hallucination"])
    assert (graded["note"], graded["corrected_answer"]) == ("Made up a number.", CORRECTED)

    # After a reload, they are still there.
    page.reload()
    expect(counter).to_have_text(f"2 of {total} reviewed")
    page.keyboard.press("j")
    expect(example).to_have_attribute("data-example", str(predictions[1]["example_id"]))
    expect(page.locator("[data-testid=review-verdict] [data-verdict=wrong]")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("review-tags")).to_contain_text("hallucination")
    expect(page.get_by_test_id("review-note")).to_have_value("Made up a number.")
    expect(page.get_by_test_id("review-corrected")).to_have_value(CORRECTED)

    # Changed elsewhere meanwhile (another tab, a script): the next edit here gets a 409, says so and reloads it.
    response = api.post(
        f"/api/evaluations/{tuned['id']}/reviews",
        json={
            **{key: graded[key] for key in ("example_id", "verdict", "score", "tags", "corrected_answer", "version")},
            "note": "Changed elsewhere.",
        },
    )
    assert response.status_code == 200, response.text
    page.keyboard.press("2")
    expect(page.get_by_test_id("review-save-status")).to_contain_text("Someone else changed this review")
    expect(page.get_by_test_id("review-note")).to_have_value("Changed elsewhere.")
    expect(page.locator("[data-testid=review-verdict] [data-verdict=wrong]")).to_have_attribute("aria-pressed", "true")

    # The filters: by tag, by search (/ goes there), then the unreviewed ones only.
    page.get_by_test_id("review-filter-tag").select_option("hallucination")
    expect(page.get_by_test_id("review-position")).to_contain_text("Example 1 of 1")
    page.get_by_test_id("review-filter-tag").select_option("")
    page.get_by_test_id("review-filter-tag").blur()
    page.keyboard.press("/")
    expect(page.get_by_test_id("review-search")).to_be_focused()
    page.keyboard.type(predictions[2]["instruction"][:12])
    expect(example).to_have_attribute("data-example", str(predictions[1]["example_id"]))  # the one on screen stays
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    expect(page.get_by_test_id("review-instruction")).to_contain_text(predictions[2]["instruction"][:12])
    page.get_by_test_id("review-search").fill("")
    page.keyboard.press("Escape")
    page.keyboard.press("k")
    expect(example).to_have_attribute("data-example", str(predictions[1]["example_id"]))
    page.get_by_test_id("review-filter-show").select_option("unreviewed")
    expect(page.get_by_test_id("review-position")).to_contain_text(f"of {total - 1}")  # the one on screen stays
    summary = page.get_by_test_id("review-summary")
    expect(summary.get_by_test_id("summary-reviewed")).to_have_text(f"2 of {total}")
    expect(summary.get_by_test_id("summary-share-correct")).to_contain_text("50% (95% CI")

    page.set_viewport_size({"width": 390, "height": 844})
    no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "review-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _dataset_from_the_reviews(page: Any, api: Any, studio: Studio, tuned: dict[str, Any]) -> None:
    """The dialog: a preview of the changed output (the corrected one; the approved answer is the expected one), then
    the new dataset."""
    page.get_by_test_id("make-dataset-open").click()
    dialog = page.get_by_test_id("make-dataset-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("make-dataset-name").fill("alpaca reviewed")
    dialog.get_by_test_id("make-dataset-preview").click()
    rows = dialog.get_by_test_id("dataset-preview-row")
    expect(rows).to_have_count(1)  # the approved answer is the expected one: no change
    expect(dialog.get_by_test_id("dataset-preview")).to_contain_text(CORRECTED)
    dialog.screenshot(path=str(SHOTS / "make-dataset-preview-1280.png"))
    dialog.get_by_test_id("make-dataset-save").click()
    link = dialog.get_by_test_id("dataset-created-link")
    expect(link).to_have_text("alpaca reviewed")
    created_id = int(link.get_attribute("href").rsplit("/", 1)[1])
    created = api.get(f"/api/datasets/{created_id}").json()
    original = api.get(f"/api/datasets/{studio.dataset_id}").json()
    assert created["derived_from_id"] == studio.dataset_id
    assert (created["num_train"], created["num_validation"], created["num_test"]) == (
        original["num_train"],
        original["num_validation"],
        original["num_test"],
    )
    examples = api.get(f"/api/datasets/{created_id}/examples", params={"split": "test", "limit": 500}).json()
    assert any(CORRECTED in str(row) for row in examples["items"]), examples
    # The new version's page says what it is a version of.
    link.click()
    expect(page.get_by_test_id("dataset-derived-from")).to_contain_text(f"a version of dataset #{studio.dataset_id}")


def _blind_ab_with_the_keyboard(
    page: Any, api: Any, studio: Studio, run_id: int, tuned: dict[str, Any], base: dict[str, Any]
) -> None:
    page.goto(f"{studio.base_url}/runs/{run_id}")
    expect(page.get_by_test_id("run-ab-open")).to_be_enabled()  # once the run's comparisons are known
    page.get_by_test_id("run-ab-open").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{studio.base_url}/comparisons/*")
    comparison_id = int(page.url.rsplit("/", 1)[1])
    total = tuned["total"]
    progress = page.get_by_test_id("ab-progress")
    expect(progress).to_have_text(f"Pair 1 of {total}")
    page.screenshot(path=str(SHOTS / "ab-1280.png"), full_page=True)

    # Vote for the right answer (the fine-tuned one, wherever it is) on all but the last, which is a tie.
    for index in range(total):
        expect(progress).to_have_text(f"Pair {index + 1} of {total}")
        left = page.get_by_test_id("ab-left").inner_text()
        key = "3" if index == total - 1 else ("2" if left.strip() == WRONG else "1")
        page.keyboard.press(key)
        if index == 0:
            expect(page.get_by_test_id("ab-last-vote")).to_be_visible()
            page.keyboard.press("r")
            expect(page.get_by_test_id("ab-revealed")).to_contain_text("fine-tuned")
    expect(page.get_by_test_id("ab-done")).to_be_visible()

    result = api.get(f"/api/comparisons/{comparison_id}").json()
    assert result["votes"] == total
    assert result["ties"] == 1
    card = page.get_by_test_id("ab-result")
    expect(card.get_by_test_id("ab-votes")).to_have_text(f"{total} of {total}")
    rate = result["a_win_rate"]
    percent = [round(rate[key] * 100) for key in ("value", "ci_low", "ci_high")]
    expect(card.get_by_test_id("ab-win-rate")).to_have_text(f"{percent[0]}% (95% CI {percent[1]}%–{percent[2]}%)")
    expect(card.get_by_test_id("ab-record")).to_have_text(f"{result['a_wins']} · 1 · {result['b_wins']}")
    page.screenshot(path=str(SHOTS / "ab-result-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "ab-result-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _hostile_text_is_shown_as_text(page: Any, api: Any, studio: Studio) -> None:
    response = api.post(
        "/api/datasets", files={"file": ("hostile.jsonl", jsonl(hostile_rows(20)))}, data={"name": "hostile"}
    )
    assert response.status_code == 201, response.text
    dataset_id = response.json()["id"]
    run_id = finished_run(
        studio, dataset_id, tuned=lambda expected: f"{SCRIPT} {IMAGE} {LINK} {LONG}", base=lambda _: ARABIC
    )
    tuned, base = evaluations_of(api, run_id)
    response = api.post("/api/comparisons", json={"evaluation_a": tuned["id"], "evaluation_b": base["id"]})
    assert response.status_code == 201, response.text
    comparison_id = response.json()["id"]

    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        page.goto(f"{studio.base_url}/evaluations/{tuned['id']}/review")
        example = page.get_by_test_id("review-example")
        expect(page.get_by_test_id("review-instruction")).to_contain_text(SCRIPT)
        expect(page.get_by_test_id("review-instruction")).to_contain_text(ARABIC)
        expect(page.get_by_test_id("review-input")).to_contain_text(IMAGE)
        expect(page.get_by_test_id("review-expected")).to_contain_text(HEBREW)
        expect(page.get_by_test_id("review-answer")).to_contain_text("javascript:alert(1)")
        assert example.locator("img, script, a").count() == 0
        assert page.get_by_test_id("review-instruction").get_attribute("dir") == "auto"
        page.keyboard.press("d")  # the word diff shows the same text as text
        expect(example.get_by_test_id("answer-diff")).to_contain_text(SCRIPT)
        assert example.locator("img, script, a").count() == 0
        page.keyboard.press("3")
        page.keyboard.press("t")
        page.keyboard.type(IMAGE)
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("review-tags")).to_contain_text(IMAGE)
        no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / f"review-hostile-{width}.png"), full_page=True)

        page.goto(f"{studio.base_url}/comparisons/{comparison_id}")
        pair = page.get_by_test_id("ab-pair")
        expect(pair.get_by_test_id("ab-instruction")).to_contain_text(SCRIPT)
        expect(pair).to_contain_text("javascript:alert(1)")
        expect(pair).to_contain_text(ARABIC)
        assert pair.locator("img, script, a").count() == 0
        no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / f"ab-hostile-{width}.png"), full_page=True)
        page.keyboard.press("4")
        expect(page.get_by_test_id("ab-last-vote")).to_be_visible()

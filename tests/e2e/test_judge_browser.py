"""The LLM judge in Chromium: a judge added on the Judges page (its key typed into a password field, tested), then a
run's two evaluations judged from the Evaluation section by a real light worker calling a real local endpoint (one
reply unreadable: that answer is "not judged", with the reason, in the example table); the Evaluate… dialog's judge
section; the key never reaches the browser. Screenshots under tests/e2e/screenshots/."""

from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.core.db import get_sessionmaker
from backend.models import DatasetExample, Run, RunStatus, Split
from tests.e2e.browser import SCREENSHOTS, Studio, api_client, chromium_page, studio_database, studio_with_a_dataset
from tests.judge_server import API_KEY, Scripted, running_judge
from worker.evaluation_store import Answers, record_automatic

pytestmark = pytest.mark.e2e

TIMEOUT = 15_000
WRONG = "I do not know"


def finished_run(studio: Studio) -> tuple[int, str]:
    """A run marked succeeded with its two automatic evaluations, as a training worker leaves them: the fine-tuned
    model's answers right, the base model's not (training itself is another test's business); and the first test
    example's input."""
    api = api_client(studio.base_url)
    run_id: int = api.post("/api/runs", json={"dataset_id": studio.dataset_id, "base_model": str(studio.model)}).json()[
        "id"
    ]
    with studio_database(studio), get_sessionmaker().begin() as session:
        examples = list(
            session.scalars(
                select(DatasetExample)
                .where(DatasetExample.dataset_id == studio.dataset_id, DatasetExample.split == Split.TEST)
                .order_by(DatasetExample.id)
            )
        )
        expected = [example.record["output"] for example in examples]
        run = session.get_one(Run, run_id)
        run.status = RunStatus.SUCCEEDED
        prompts = [
            f"### Instruction:\n{e.record['instruction']}\n\n### Input:\n{e.record['input']}\n\n### Response:\n"
            for e in examples
        ]
        answers = Answers([e.id for e in examples], prompts, expected, expected, [WRONG] * len(examples))
        record_automatic(session, run, answers, fingerprint=None)
        return run_id, examples[0].record["input"]


UNREADABLE = "I would rather not grade this one."


def grader(unreadable_input: str) -> Callable[[str, int], Scripted]:
    """The judge's replies: 90 for the right answers, 10 for the wrong ones, except the wrong answer to the example
    with `unreadable_input`, which gets a reply without a score."""
    return lambda prompt, attempt: grade(prompt, unreadable_input)


def grade(prompt: str, unreadable_input: str) -> Scripted:
    if "Answer A:" in prompt:  # pairwise: the right answer wins, wherever it is shown
        winner = "B" if prompt.split("Answer A:\n", 1)[1].startswith(WRONG) else "A"
        return Scripted(f'{{"winner": "{winner}", "explanation": "{winner} answers the task"}}')
    if "connection test" in prompt:
        return Scripted('{"score": 100, "explanation": "ok"}')
    wrong = prompt.split("The model's answer:\n", 1)[1].startswith(WRONG)
    if wrong and f"\n{unreadable_input}\n" in prompt:
        return Scripted(UNREADABLE)
    return Scripted(
        '{"score": 10, "explanation": "It does not answer."}' if wrong else '{"score": 90, "explanation": "Right."}'
    )


def test_a_judge_is_added_and_grades_a_runs_answers(tmp_path_factory: pytest.TempPathFactory) -> None:
    with (
        running_judge() as judge,
        studio_with_a_dataset(tmp_path_factory.mktemp("studio")) as studio,
        chromium_page(TIMEOUT, (1280, 900), signed_in_to=studio.base_url) as page,
    ):
        run_id, unreadable_input = finished_run(studio)
        judge.script = grader(unreadable_input)
        bodies: list[str] = []
        page.on("response", lambda response: bodies.append(response.text()) if "/api/" in response.url else None)

        page.goto(f"{studio.base_url}/judges")
        page.get_by_test_id("nav-judges").click()
        expect(page.get_by_test_id("judge-api-key")).to_have_attribute("type", "password")
        page.get_by_test_id("judge-name").fill("Local grader")
        page.get_by_test_id("judge-base-url").fill(judge.url)
        page.get_by_test_id("judge-model").fill("judge-1")
        page.get_by_test_id("judge-api-key").fill(API_KEY)
        page.get_by_test_id("judge-save").click()
        row = page.get_by_test_id("judge-row")
        expect(row).to_contain_text("Local grader")
        expect(row.get_by_test_id("judge-key")).to_have_text("stored")
        expect(page.get_by_test_id("judge-api-key")).to_have_value("")  # a fresh form: the key is gone from the page
        row.get_by_test_id("judge-test").click()
        expect(page.get_by_test_id("judge-check")).to_contain_text("It works")
        page.screenshot(path=str(SCREENSHOTS / "judges-1280.png"), full_page=True)

        page.goto(f"{studio.base_url}/runs/{run_id}")
        panel = page.get_by_test_id("judge-panel")
        expect(panel).to_contain_text("Not judged yet")
        panel.get_by_test_id("judge-open").click()
        rubrics = api_client(studio.base_url).get("/api/judges/rubrics").json()
        expect(panel.get_by_test_id("judge-rubric")).to_have_value(rubrics["score"]["text"])
        panel.screenshot(path=str(SCREENSHOTS / "judge-panel-form.png"))
        panel.get_by_test_id("judge-submit").click()
        rows = panel.get_by_test_id("judge-row")
        expect(rows.first.get_by_test_id("judging-status")).to_have_text("Judged", timeout=60_000)
        expect(rows.nth(1).get_by_test_id("judging-status")).to_have_text("Judged", timeout=60_000)
        expect(rows.first.get_by_test_id("judge-score")).to_contain_text("90.0 / 100")
        expect(rows.nth(1).get_by_test_id("judge-score")).to_contain_text("10.0 / 100")
        num_test = api_client(studio.base_url).get(f"/api/datasets/{studio.dataset_id}").json()["num_test"]
        expect(rows.first.get_by_test_id("judge-counts")).to_have_text(f"{num_test} of {num_test}")
        expect(rows.nth(1).get_by_test_id("judge-counts")).to_have_text(f"{num_test - 1} of {num_test} · 1 not judged")
        expect(panel.get_by_test_id("judge-pairwise-counts")).to_contain_text(
            f"fine-tuned {num_test} · base model 0 · ties 0", timeout=60_000
        )
        # The metric cards gain the judge's score, compared like the others.
        expect(page.locator("[data-testid=metric-card][data-metric=judge_score]")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "judge-panel-1280.png"), full_page=True)
        panel.screenshot(path=str(SCREENSHOTS / "judge-panel.png"))

        # The example table: each answer's grade and explanation; the unreadable reply is "not judged", not 0.
        table = page.get_by_test_id("example-table")
        first = table.get_by_test_id("example-row").first
        expect(first.get_by_test_id("example-answer").get_by_test_id("example-judge")).to_contain_text("Judge 90 / 100")
        expect(first.get_by_test_id("example-answer").get_by_test_id("example-judge-explanation")).to_have_text(
            "Right."
        )
        expect(table.get_by_test_id("example-judge-explanation").filter(has_text="It does not answer.")).to_have_count(
            num_test - 1
        )
        filters = page.get_by_test_id("example-filter")
        expect(filters.locator("[data-filter=not_judged]")).to_contain_text("Not judged1")
        filters.locator("[data-filter=not_judged]").click()
        expect(table.get_by_test_id("example-row")).to_have_count(1)
        expect(table.get_by_test_id("example-other-answer").get_by_test_id("example-not-judged")).to_contain_text(
            "no score in the reply"
        )
        expect(table.get_by_test_id("example-answer")).to_contain_text("Judge 90 / 100")
        # In the judge's score, that example has no change: neither an improvement nor unchanged.
        page.get_by_test_id("example-metric").select_option("judge_score")
        expect(table).to_contain_text("not judged → 0.90")
        expect(filters.locator("[data-filter=improvements]")).to_contain_text(f"Improvements{num_test - 1}")
        expect(filters.locator("[data-filter=unchanged]")).to_contain_text("Unchanged0")
        page.get_by_test_id("evaluation-examples").screenshot(path=str(SCREENSHOTS / "judge-examples-1280.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.get_by_test_id("evaluation-examples").screenshot(path=str(SCREENSHOTS / "judge-examples-390.png"))
        filters.locator("[data-filter=all]").click()
        expect(table.get_by_test_id("example-row")).to_have_count(num_test)

        # Evaluate… can judge the new answers: the default rubric to edit, its 422 shown at the field.
        page.get_by_test_id("evaluate-open").click()
        dialog = page.get_by_test_id("evaluate-dialog")
        dialog.get_by_test_id("eval-judge").check()
        expect(dialog.get_by_test_id("eval-judgeId")).to_contain_text("Local grader (judge-1)")
        expect(dialog.get_by_test_id("eval-rubric")).to_have_value(rubrics["score"]["text"])
        dialog.get_by_test_id("eval-judge-section").screenshot(path=str(SCREENSHOTS / "evaluate-judge-390.png"))
        dialog.get_by_test_id("eval-rubric").fill("Grade {response}.")
        dialog.get_by_test_id("evaluate-submit").click()
        expect(dialog.get_by_test_id("eval-rubric-error")).to_contain_text("{instruction}")
        expect(dialog.get_by_test_id("eval-rubric")).to_be_focused()
        page.set_viewport_size({"width": 1280, "height": 900})
        dialog.screenshot(path=str(SCREENSHOTS / "evaluate-judge-1280.png"))

        assert API_KEY not in page.content()
        assert bodies and not any(API_KEY in body for body in bodies)
        assert API_KEY not in (studio.root / "light.log").read_text()
        assert API_KEY not in (studio.root / "api.log").read_text()

"""Blind A/B between any two evaluations, the ranking of three, and the review page of an evaluation still answering,
in Chromium. Two runs of one dataset (each with its fine-tuned and base evaluations) and an evaluation without a run:
the run page's "Blind A/B…" lists the other four, told apart, and opens the comparison with the one picked; the
review page's dialog reopens it. Votes on two comparisons linking three models: the comparison page ranks them, best
first, with intervals and the number of votes. An evaluation answering shows its progress and becomes its review
once finished; a failed one says why; a benchmark's says it has no answers. Screenshots in /tmp/review2-shots."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from backend.core.db import get_sessionmaker
from backend.models import Evaluation, EvaluationKind, Run, RunStatus, utcnow
from tests.e2e.browser import Studio, api_client, chromium_page, studio_database, studio_with_a_dataset
from tests.e2e.test_review_browser import WRONG, evaluations_of, finished_run, no_sideways_scroll
from tests.factories import create_evaluation

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/review2-shots")
TIMEOUT = 15_000


def owner_of(studio: Studio, run_id: int) -> int:
    with studio_database(studio), get_sessionmaker().begin() as session:
        return session.get_one(Run, run_id).owner_id


def shoot(page: Any, name: str) -> None:
    """The page at 1280 and at 390 px (where nothing may scroll sideways), then back to 1280."""
    page.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_ab_between_any_two_the_ranking_and_an_answering_review(tmp_path_factory: pytest.TempPathFactory) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with (
        studio_with_a_dataset(tmp_path_factory.mktemp("studio")) as studio,
        chromium_page(TIMEOUT, (1280, 900), signed_in_to=studio.base_url) as page,
    ):
        api = api_client(studio.base_url)
        # Every answer of a model is the same text, so a vote can find its side: the first run's is right.
        first = finished_run(studio, studio.dataset_id, tuned=lambda expected: expected, base=lambda _: WRONG)
        second = finished_run(studio, studio.dataset_id, tuned=lambda _: "second run", base=lambda _: WRONG)
        tuned, base = evaluations_of(api, first)
        other_tuned, other_base = evaluations_of(api, second)
        with studio_database(studio):
            loose, _ = create_evaluation(owner_of(studio, first), studio.dataset_id, lambda _id, _x: "no run")

        comparison_id = _ab_with_a_picked_evaluation(
            page, api, studio, first, tuned, other_tuned, [other_tuned["id"], other_base["id"], base["id"], loose]
        )
        _ranking_of_three(page, api, studio, comparison_id, tuned, other_tuned, base)
        _review_of_an_unfinished_evaluation(page, studio, owner_of(studio, first))


def _ab_with_a_picked_evaluation(
    page: Any,
    api: Any,
    studio: Studio,
    run_id: int,
    tuned: dict[str, Any],
    picked: dict[str, Any],
    pairable: list[int],
) -> int:
    page.goto(f"{studio.base_url}/runs/{run_id}")
    page.get_by_test_id("run-review").get_by_test_id("ab-dialog-open").click()
    dialog = page.get_by_test_id("ab-dialog")
    expect(dialog).to_be_visible()
    options = dialog.locator("[data-testid=ab-dialog-options] label")
    expect(options).to_have_count(len(pairable))
    assert sorted(int(o.get_attribute("data-evaluation")) for o in options.all()) == sorted(pairable)
    expect(dialog.get_by_test_id("ab-dialog-this")).to_have_text(
        f"run #{run_id} “{_run_name(api, run_id)}”, fine-tuned"
    )
    # Told apart: the other run by its name, the base models by their run, the loose one as having none.
    option = dialog.locator(f"[data-evaluation='{picked['id']}']")
    expect(option).to_contain_text(f"run #{picked['run_id']} “{_run_name(api, picked['run_id'])}”, fine-tuned")
    expect(option).to_contain_text(f"evaluation #{picked['id']} · test split · {picked['total']} answers · greedy")
    expect(dialog.locator(f"[data-evaluation='{pairable[-1]}']")).to_contain_text("no run")
    expect(dialog.locator(f"[data-evaluation='{pairable[1]}']")).to_contain_text(f"base model {studio.model}")
    expect(dialog.get_by_test_id("ab-dialog-start")).to_be_disabled()
    option.click()
    expect(dialog.get_by_test_id("ab-dialog-start")).to_have_text("Start voting")
    dialog.screenshot(path=str(SHOTS / "ab-dialog-1280.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    no_sideways_scroll(page)
    dialog.screenshot(path=str(SHOTS / "ab-dialog-390.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    dialog.get_by_test_id("ab-dialog-start").click()
    page.wait_for_url(f"{studio.base_url}/comparisons/*")
    comparison_id = int(page.url.rsplit("/", 1)[1])
    made = api.get(f"/api/comparisons/{comparison_id}").json()
    assert (made["evaluation_a"], made["evaluation_b"]) == (tuned["id"], picked["id"])
    expect(page.get_by_test_id("ab-progress")).to_have_text(f"Pair 1 of {tuned['total']}")
    expect(page.get_by_test_id("ab-ranking")).to_have_count(0)  # two models: nothing to rank

    # From the review page, the same pair reopens the same comparison.
    page.goto(f"{studio.base_url}/evaluations/{tuned['id']}/review")
    page.get_by_test_id("ab-dialog-open").click()
    dialog.locator(f"[data-evaluation='{picked['id']}']").click()
    expect(dialog.locator(f"[data-evaluation='{picked['id']}']")).to_contain_text("voted on before")
    expect(dialog.get_by_test_id("ab-dialog-start")).to_have_text("Continue voting")
    dialog.get_by_test_id("ab-dialog-start").click()
    page.wait_for_url(f"{studio.base_url}/comparisons/{comparison_id}")
    assert len(api.get("/api/comparisons", params={"evaluation_id": tuned["id"]}).json()) == 1
    return comparison_id


def _run_name(api: Any, run_id: int) -> str:
    name: str = api.get(f"/api/runs/{run_id}").json()["name"]
    return name


def _ranking_of_three(
    page: Any,
    api: Any,
    studio: Studio,
    comparison_id: int,
    tuned: dict[str, Any],
    other_tuned: dict[str, Any],
    base: dict[str, Any],
) -> None:
    """The first run's model beats the second's on every pair, and its base model on all but one."""
    against_base = api.post("/api/comparisons", json={"evaluation_a": tuned["id"], "evaluation_b": base["id"]})
    assert against_base.status_code == 201, against_base.text
    votes = _vote_by_text(api, comparison_id, lambda left, right: "left" if left != "second run" else "right")
    votes += _vote_by_text(
        api, against_base.json()["id"], lambda left, right: "left" if left != WRONG else "right", last="base"
    )
    ranking = api.get(
        "/api/comparisons/ranking", params={"evaluation_ids": f"{tuned['id']},{other_tuned['id']},{base['id']}"}
    ).json()
    assert ranking["votes"] == votes
    assert ranking["items"][0]["evaluation_id"] == tuned["id"]

    page.goto(f"{studio.base_url}/comparisons/{comparison_id}")
    card = page.get_by_test_id("ab-ranking")
    expect(card).to_be_visible()
    expect(card.get_by_test_id("ab-ranking-basis")).to_have_text(
        f"{votes} decisive votes in 2 blind A/Bs between 3 models, best first."
    )
    rows = card.get_by_test_id("ab-ranking-row")
    expect(rows).to_have_count(3)
    assert [int(r.get_attribute("data-evaluation")) for r in rows.all()] == [
        i["evaluation_id"] for i in ranking["items"]
    ]
    best = ranking["items"][0]
    expect(rows.first).to_contain_text(best["name"])
    expect(rows.first.get_by_test_id("ab-ranking-record")).to_have_text(f"{best['wins']} won · {best['losses']} lost")
    expect(rows.first.get_by_test_id("ab-ranking-strength")).to_have_text(
        f"{best['strength']:.2f} ({best['ci_low']:.2f}–{best['ci_high']:.2f})"
    )
    expect(rows.first.locator("svg circle")).to_have_count(1)
    card.scroll_into_view_if_needed()
    shoot(page, "ranking")


def _vote_by_text(api: Any, comparison_id: int, side: Any, last: str | None = None) -> int:
    """Votes on every pair the side `side(left, right)` picks; with `last`, the last pair goes the other way."""
    votes = 0
    while (pair := api.get(f"/api/comparisons/{comparison_id}/next").json()) is not None:
        choice = side(pair["left"], pair["right"])
        if last is not None and pair["voted"] + 1 == pair["total"]:
            choice = "right" if choice == "left" else "left"
        response = api.post(
            f"/api/comparisons/{comparison_id}/votes", json={"pair_id": pair["pair_id"], "choice": choice}
        )
        assert response.status_code == 200, response.text
        votes += 1
    return votes


def _review_of_an_unfinished_evaluation(page: Any, studio: Studio, owner_id: int) -> None:
    with studio_database(studio):
        answering, examples = create_evaluation(owner_id, studio.dataset_id)
        failed, _ = create_evaluation(owner_id, studio.dataset_id)
        benchmark, _ = create_evaluation(owner_id, studio.dataset_id)
        with get_sessionmaker().begin() as session:
            session.execute(
                update(Evaluation)
                .where(Evaluation.id == answering)
                .values(status=RunStatus.RUNNING, done=3, started_at=utcnow() - timedelta(seconds=30), finished_at=None)
            )
            session.execute(
                update(Evaluation)
                .where(Evaluation.id == failed)
                .values(status=RunStatus.FAILED, done=2, error="CUDA out of memory while answering")
            )
            session.execute(
                update(Evaluation).where(Evaluation.id == benchmark).values(kind=EvaluationKind.MULTIPLE_CHOICE)
            )
    total = len(examples)

    page.goto(f"{studio.base_url}/evaluations/{answering}/review")
    progress = page.get_by_test_id("review-progress")
    expect(progress).to_contain_text(f"Answering 3 of {total} · about")
    expect(progress).to_contain_text("left")
    expect(page.get_by_test_id("ab-dialog-open")).to_have_count(0)
    shoot(page, "review-answering")
    # Finished meanwhile: the page asks again and becomes the review.
    with studio_database(studio), get_sessionmaker().begin() as session:
        session.execute(
            update(Evaluation)
            .where(Evaluation.id == answering)
            .values(status=RunStatus.SUCCEEDED, done=total, finished_at=utcnow())
        )
    expect(page.get_by_test_id("review-counter")).to_have_text(f"0 of {total} reviewed", timeout=10_000)
    expect(page.get_by_test_id("review-answering")).to_have_count(0)

    page.goto(f"{studio.base_url}/evaluations/{failed}/review")
    notice = page.get_by_test_id("review-not-reviewable")
    expect(notice).to_contain_text(f"This evaluation failed after 2 of {total} answers")
    expect(notice).to_contain_text("CUDA out of memory while answering")
    shoot(page, "review-failed")

    page.goto(f"{studio.base_url}/evaluations/{benchmark}/review")
    expect(page.get_by_test_id("review-not-reviewable")).to_contain_text("No generated answers to review")

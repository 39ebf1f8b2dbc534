"""Judging evaluations through the API, against a real local endpoint that speaks /v1/chat/completions: each answer
scored (unreadable replies recorded as not judged, never 0), two evaluations compared in both orders, a cancel, and
the API key in no response and no log."""

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.secret_key import encrypt
from backend.judgings.service import add_judging
from backend.models import Evaluation, Judge, JudgeKind, Role, User
from domain.judging import DEFAULT_RUBRIC
from tests.accounts import create_account
from tests.backend.test_evaluations_api import finished_run
from tests.backend.test_judges_api import create_judge
from tests.judge_server import API_KEY, FakeJudge, Scripted, running_judge
from tests.processes import poll
from worker.judging import endpoint_judge, run_judging
from worker.judging_store import release

WRONG = "I do not know"  # every base answer in finished_run; the fine-tuned ones are the expected answers
UNREADABLE = "Hard to say, really."
FINISHED = {"succeeded", "failed", "cancelled"}


@pytest.fixture
def fake_judge() -> Iterator[FakeJudge]:
    with running_judge() as fake:
        yield fake


def between(prompt: str, start: str, end: str) -> str:
    return prompt.split(start, 1)[1].split(end, 1)[0]


def grading_judge(unreadable_for: str) -> Any:
    """Scores a wrong answer 10 and a right one 90; replies without a score to the example expecting
    `unreadable_for`."""

    def reply(prompt: str, attempt: int) -> Scripted:
        if between(prompt, "A correct answer:\n", "\n\n") == unreadable_for:
            return Scripted(UNREADABLE)
        answer = between(prompt, "The model's answer:\n", "\n\n")
        score = 10 if answer == WRONG else 90
        return Scripted(f'{{"score": {score}, "explanation": "scored {score}"}}')

    return reply


def evaluations(client: TestClient, run: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    tuned, base = client.get("/api/evaluations", params={"run_id": run["id"]}).json()["items"]
    return tuned, base


def predictions(client: TestClient, evaluation_id: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(f"/api/evaluations/{evaluation_id}/predictions").json()["items"]
    return items


def judge_now(client: TestClient, evaluation_id: int, judge_id: int, **request: Any) -> dict[str, Any]:
    """Asks for a judging and does it here, as the light worker would (its task is queued and left alone)."""
    response = client.post(f"/api/evaluations/{evaluation_id}/judge", json={"judge_id": judge_id, **request})
    assert response.status_code == 201, response.text
    assert run_judging(response.json()["id"], endpoint_judge)
    judging: dict[str, Any] = client.get(f"/api/judgings/{response.json()['id']}").json()
    return judging


class TestJudgeEvaluation:
    def test_answers_are_scored_and_an_unreadable_reply_is_not_judged(
        self, client: TestClient, model: str, fake_judge: FakeJudge, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        run = finished_run(client, model)
        tuned, base = evaluations(client, run)
        first_expected = predictions(client, tuned["id"])[0]["expected"]
        fake_judge.script = grading_judge(unreadable_for=first_expected)
        judge = create_judge(client, base_url=fake_judge.url)

        response = client.post(f"/api/evaluations/{tuned['id']}/judge", json={"judge_id": judge["id"]})
        assert response.status_code == 201, response.text
        queued = response.json()
        assert (queued["status"], queued["kind"], queued["total"], queued["judge_name"]) == (
            "queued",
            "score",
            4,
            "grader",
        )
        assert run_judging(queued["id"], endpoint_judge)

        judging = client.get(f"/api/judgings/{queued['id']}").json()
        assert judging["status"] == "succeeded", judging["error"]
        assert (judging["done"], judging["judged"], judging["not_judged"]) == (4, 3, 1)
        assert (judging["prompt_tokens"], judging["completion_tokens"]) == (40, 20)  # 10 and 5 per call
        assert "{expected}" in judging["rubric"]
        metric = client.get(f"/api/evaluations/{tuned['id']}").json()["metrics"]["judge_score"]
        assert metric == {"value": 0.9, "ci_low": 0.9, "ci_high": 0.9}  # the three judged answers only, not a 0
        answers = predictions(client, tuned["id"])
        assert "judge_score" not in answers[0]["scores"]
        assert answers[0]["not_judged_reason"] == f"no score in the reply: {UNREADABLE!r}"
        assert answers[0]["judge_explanation"] is None
        for answer in answers[1:]:
            assert answer["scores"]["judge_score"] == 0.9
            assert (answer["judge_explanation"], answer["not_judged_reason"]) == ("scored 90", None)
        assert all(headers["Authorization"] == f"Bearer {API_KEY}" for _, headers, _ in fake_judge.requests)

        # The base model's answers too: the comparison pairs the examples judged in both.
        judge_now(client, base["id"], judge["id"])
        comparison = client.get("/api/evaluations/compare", params={"a": base["id"], "b": tuned["id"]}).json()
        judged = next(metric for metric in comparison["metrics"] if metric["name"] == "judge_score")
        assert (judged["a"], judged["b"]) == pytest.approx((0.1, 0.9))
        assert (judged["verdict"], judged["better"], judged["same"], judged["worse"]) == ("better", 3, 0, 0)

        bodies = [
            client.get(path).text
            for path in (
                "/api/judges",
                f"/api/judges/{judge['id']}",
                f"/api/evaluations?run_id={run['id']}",
                f"/api/evaluations/{tuned['id']}",
                f"/api/evaluations/{tuned['id']}/predictions",
                f"/api/evaluations/compare?a={base['id']}&b={tuned['id']}",
                "/api/judgings",
                f"/api/judgings?evaluation_id={tuned['id']}",
                f"/api/judgings/{queued['id']}",
            )
        ]
        assert all(body and API_KEY not in body for body in bodies)
        assert API_KEY not in response.text
        assert "HTTP Request: POST" in caplog.text  # the judge's calls were logged, without the key
        assert API_KEY not in caplog.text

    def test_judging_again_replaces_the_earlier_scores(
        self, client: TestClient, model: str, fake_judge: FakeJudge
    ) -> None:
        run = finished_run(client, model)
        tuned, _ = evaluations(client, run)
        fake_judge.script = grading_judge(unreadable_for="")
        judge = create_judge(client, base_url=fake_judge.url)
        assert judge_now(client, tuned["id"], judge["id"])["judged"] == 4

        fake_judge.script = lambda prompt, attempt: Scripted(UNREADABLE)
        rubric = "Grade {response} for {instruction} ({input}) against {expected}. Reply: Score: N"
        response = client.post(
            f"/api/evaluations/{tuned['id']}/judge", json={"judge_id": judge["id"], "rubric": rubric}
        )
        assert response.status_code == 201, response.text
        # Gone as soon as a new judging is asked for: nothing mixes two judges' scores.
        assert "judge_score" not in client.get(f"/api/evaluations/{tuned['id']}").json()["metrics"]
        assert all("judge_score" not in answer["scores"] for answer in predictions(client, tuned["id"]))
        run_judging(response.json()["id"], endpoint_judge)

        judging = client.get(f"/api/judgings/{response.json()['id']}").json()
        assert judging["rubric"] == rubric
        assert judging["status"] == "failed"  # nothing judged: the judge, not the model, failed
        assert (
            judging["error"]
            == f"nothing was judged; 4 answers of 4 for this reason: no score in the reply: {UNREADABLE!r}"
        )
        assert "judge_score" not in client.get(f"/api/evaluations/{tuned['id']}").json()["metrics"]
        assert all(answer["not_judged_reason"] for answer in predictions(client, tuned["id"]))
        listed = client.get("/api/judgings", params={"evaluation_id": tuned["id"]}).json()
        assert [item["id"] for item in listed["items"]] == [response.json()["id"], response.json()["id"] - 1]

    def test_what_cannot_be_judged(self, client: TestClient, model: str) -> None:
        run = finished_run(client, model)
        tuned, _ = evaluations(client, run)
        judge = create_judge(client)
        path = f"/api/evaluations/{tuned['id']}/judge"

        response = client.post(path, json={"judge_id": judge["id"], "rubric": "Grade {response} against {expected}."})
        assert response.status_code == 422
        assert response.json()["field"] == "rubric"
        assert "{instruction}, {input}" in response.json()["detail"]
        response = client.post(path, json={"judge_id": judge["id"] + 1})
        assert (response.status_code, response.json()["detail"]) == (404, f"judge {judge['id'] + 1} not found")
        reviewer = create_account("reviewer@studio.test", Role.REVIEWER)
        assert client.post(path, json={"judge_id": judge["id"]}, headers=reviewer.headers).status_code == 403
        assert client.get("/api/judgings").json()["total"] == 0

        assert client.post(path, json={"judge_id": judge["id"]}).status_code == 201
        response = client.post(path, json={"judge_id": judge["id"]})
        assert response.status_code == 409
        assert "is being judged" in response.json()["detail"]
        response = client.delete(f"/api/judges/{judge['id']}")
        assert response.status_code == 409
        assert "cancel it first" in response.json()["detail"]

    def test_a_judge_asked_for_with_a_new_evaluation_is_checked_first(self, client: TestClient, model: str) -> None:
        run = finished_run(client, model)
        judge = create_judge(client)
        before = client.get("/api/evaluations", params={"run_id": run["id"]}).json()["total"]
        response = client.post(
            "/api/evaluations", json={"run_id": run["id"], "judge": {"judge_id": judge["id"], "rubric": "{response}"}}
        )
        assert response.status_code == 422
        assert response.json()["field"] == "judge.rubric"
        assert client.get("/api/evaluations", params={"run_id": run["id"]}).json()["total"] == before

    def test_a_members_judge_now_resolving_inside_the_network_is_not_called(
        self, client: TestClient, model: str, fake_judge: FakeJudge
    ) -> None:
        run = finished_run(client, model)
        tuned, _ = evaluations(client, run)
        fake_judge.script = grading_judge(unreadable_for="")
        member = create_account("member@studio.test")
        port = fake_judge.url.split(":")[2].split("/")[0]
        # Saved when the rule allowed it (the name was public then); it resolves to 127.0.0.1 now.
        with get_sessionmaker().begin() as session:
            inside = Judge(
                owner_id=member.id,
                name="rebound",
                kind=JudgeKind.OPENAI,
                base_url=f"http://localhost:{port}/v1",
                model="judge-1",
                api_key_encrypted=encrypt(API_KEY),
            )
            session.add(inside)
            session.flush()
            inside_id = inside.id

        judging = judge_now(client, tuned["id"], inside_id)
        reason = "the judge's address now resolves to 127.0.0.1, a loopback address: only an admin's judge may call it"
        assert (judging["status"], judging["judged"], judging["not_judged"]) == ("failed", 0, 4)
        assert judging["error"] == f"nothing was judged; 4 answers of 4 for this reason: {reason}"
        assert fake_judge.requests == []
        assert [answer["not_judged_reason"] for answer in predictions(client, tuned["id"])] == [reason] * 4
        assert "judge_score" not in client.get(f"/api/evaluations/{tuned['id']}").json()["metrics"]  # never a 0

        # The admin's judge on 127.0.0.1 is called as before.
        judging = judge_now(client, tuned["id"], create_judge(client, base_url=fake_judge.url)["id"])
        assert (judging["status"], judging["judged"], judging["not_judged"]) == ("succeeded", 4, 0)


class TestCancelJudging:
    def test_a_judging_cancelled_while_it_runs_writes_no_scores(
        self, client: TestClient, model: str, fake_judge: FakeJudge, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("STUDIO_JUDGE_CONCURRENCY", "1")
        get_settings.cache_clear()
        run = finished_run(client, model)
        tuned, _ = evaluations(client, run)
        fake_judge.script = lambda prompt, attempt: Scripted('{"score": 70}', delay_s=0.3)
        judge = create_judge(client, base_url=fake_judge.url)
        judging = client.post(f"/api/evaluations/{tuned['id']}/judge", json={"judge_id": judge["id"]}).json()
        worker = threading.Thread(target=run_judging, args=(judging["id"], endpoint_judge))
        worker.start()
        path = f"/api/judgings/{judging['id']}"
        deadline = time.monotonic() + 10
        while client.get(path).json()["done"] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)

        cancelled = client.post(f"{path}/cancel").json()
        assert cancelled["status"] == "cancelled"
        worker.join(timeout=10)
        assert not worker.is_alive()
        assert client.get(path).json()["status"] == "cancelled"
        assert all("judge_score" not in answer["scores"] for answer in predictions(client, tuned["id"]))
        assert client.post(f"{path}/cancel").status_code == 409

    def test_a_queued_judging_cancelled_is_never_started(self, client: TestClient, model: str) -> None:
        run = finished_run(client, model)
        tuned, _ = evaluations(client, run)
        judge = create_judge(client)
        judging = client.post(f"/api/evaluations/{tuned['id']}/judge", json={"judge_id": judge["id"]})
        assert client.post(f"/api/judgings/{judging.json()['id']}/cancel").json()["status"] == "cancelled"
        assert run_judging(judging.json()["id"], endpoint_judge) is False
        # A finished judging keeps the judge's name when the judge goes.
        assert client.delete(f"/api/judges/{judge['id']}").status_code == 204
        kept = client.get(f"/api/judgings/{judging.json()['id']}").json()
        assert (kept["judge_id"], kept["judge_name"]) == (None, "grader")


def pairwise_judge(biased_for: str, unreadable_for: str) -> Any:
    """Prefers the answer that is not WRONG, whichever place it is in; for the example whose right answer is
    `biased_for` it always says "A" (a position bias), and for `unreadable_for` it gives no verdict."""

    def reply(prompt: str, attempt: int) -> Scripted:
        answers = {between(prompt, "Answer A:\n", "\n\n"), between(prompt, "Answer B:\n", "\n\n")}
        if unreadable_for in answers:
            return Scripted(UNREADABLE)
        if biased_for in answers:
            return Scripted('{"winner": "A", "explanation": "the first one"}')
        winner = "B" if between(prompt, "Answer A:\n", "\n\n") == WRONG else "A"
        return Scripted(f'{{"winner": "{winner}", "explanation": "{winner} is right"}}')

    return reply


class TestPairwiseJudging:
    def test_the_fine_tuned_answers_against_the_base_ones_in_both_orders(
        self, client: TestClient, model: str, fake_judge: FakeJudge
    ) -> None:
        run = finished_run(client, model)
        tuned, base = evaluations(client, run)
        answers = predictions(client, tuned["id"])  # the right answers
        judge = create_judge(client, base_url=fake_judge.url)
        fake_judge.script = pairwise_judge(biased_for=answers[0]["generated"], unreadable_for=answers[1]["generated"])
        body = {"a": base["id"], "b": tuned["id"], "judge_id": judge["id"]}
        response = client.post("/api/judgings/pairwise", json=body)
        assert response.status_code == 201, response.text
        assert client.get(f"/api/judgings/{response.json()['id']}/pairs").json()["total"] == 0  # not judged yet
        assert run_judging(response.json()["id"], endpoint_judge)

        judging = client.get(f"/api/judgings/{response.json()['id']}").json()
        assert judging["status"] == "succeeded", judging["error"]
        assert (judging["a_wins"], judging["b_wins"], judging["ties"], judging["not_judged"]) == (0, 2, 1, 1)
        assert (judging["judged"], judging["versus_evaluation_id"]) == (3, tuned["id"])
        assert (judging["prompt_tokens"], judging["completion_tokens"]) == (80, 40)  # 8 calls: both orders
        shown_first = sorted(
            between(sent["messages"][0]["content"], "Answer A:\n", "\n\n") for _, _, sent in fake_judge.requests
        )
        assert shown_first.count(WRONG) == 4  # each base answer shown first once, and second once

        pairs = client.get(f"/api/judgings/{response.json()['id']}/pairs").json()["items"]
        assert [pair["example_id"] for pair in pairs] == [answer["example_id"] for answer in answers]
        biased, unreadable, *rest = pairs
        assert (biased["winner"], biased["verdict"], biased["swapped_verdict"]) == ("tie", "A", "A")
        assert unreadable["winner"] is None and UNREADABLE in unreadable["not_judged_reason"]
        assert [pair["winner"] for pair in rest] == ["b", "b"]
        assert (rest[0]["a_generated"], rest[0]["b_generated"]) == (WRONG, rest[0]["expected"])

    def test_only_two_evaluations_of_the_same_examples(self, client: TestClient, model: str) -> None:
        tuned, base = evaluations(client, finished_run(client, model))
        other, _ = evaluations(client, finished_run(client, model))
        judge = create_judge(client)
        for a, b, words in ((base, base, "two different evaluations"), (base, other, "answered different examples")):
            response = client.post("/api/judgings/pairwise", json={"a": a["id"], "b": b["id"], "judge_id": judge["id"]})
            assert response.status_code == 422
            assert (response.json()["field"], words in response.json()["detail"]) == ("b", True)
        judging = client.post(
            "/api/judgings/pairwise", json={"a": base["id"], "b": tuned["id"], "judge_id": judge["id"]}
        )
        response = client.get(f"/api/judgings/{judging.json()['id']}/pairs")
        assert response.status_code == 200
        score = client.post(f"/api/evaluations/{tuned['id']}/judge", json={"judge_id": judge["id"]}).json()
        assert client.get(f"/api/judgings/{score['id']}/pairs").status_code == 422


class TestJudgingOwnership:
    def test_another_member_gets_404(self, client: TestClient, model: str) -> None:
        tuned, base = evaluations(client, finished_run(client, model))
        judge = create_judge(client)
        judging = client.post(f"/api/evaluations/{tuned['id']}/judge", json={"judge_id": judge["id"]}).json()
        other = create_account("other@studio.test")
        own_judge = client.post(
            "/api/judges", json={"name": "theirs", "base_url": "http://x", "model": "m"}, headers=other.headers
        ).json()
        assert client.get("/api/judgings", headers=other.headers).json()["total"] == 0
        for method, path, body in (
            ("get", f"/api/judgings/{judging['id']}", None),
            ("get", f"/api/judgings/{judging['id']}/pairs", None),
            ("post", f"/api/judgings/{judging['id']}/cancel", None),
            ("post", f"/api/evaluations/{base['id']}/judge", {"judge_id": own_judge["id"]}),
            ("post", "/api/judgings/pairwise", {"a": base["id"], "b": tuned["id"], "judge_id": own_judge["id"]}),
        ):
            response = client.request(method, path, json=body, headers=other.headers)
            assert response.status_code == 404, f"{method} {path}: {response.text}"
        # An admin sees everything, a member's judges included.
        response = client.post(f"/api/evaluations/{base['id']}/judge", json={"judge_id": own_judge["id"]})
        assert response.status_code == 201


def finished(client: TestClient, judging_id: int) -> dict[str, Any] | None:
    judging: dict[str, Any] = client.get(f"/api/judgings/{judging_id}").json()
    return judging if judging["status"] in FINISHED else None


class TestLightWorker:
    def test_a_light_worker_judges_asked_and_waiting_judgings(
        self, client: TestClient, model: str, fake_judge: FakeJudge, light_worker: Path
    ) -> None:
        tuned, base = evaluations(client, finished_run(client, model))
        fake_judge.script = grading_judge(unreadable_for="")
        judge = create_judge(client, base_url=fake_judge.url)
        asked = client.post(f"/api/evaluations/{tuned['id']}/judge", json={"judge_id": judge["id"]}).json()
        # A judging asked for with a new evaluation waits, queued, until the evaluation's worker releases it.
        with get_sessionmaker().begin() as session:
            user = session.get_one(User, session.get_one(Evaluation, base["id"]).owner_id)
            waiting = add_judging(
                session,
                user,
                session.get_one(Judge, judge["id"]),
                DEFAULT_RUBRIC,
                session.get_one(Evaluation, base["id"]),
                total=4,
            ).id
        release(base["id"])

        for judging_id in (asked["id"], waiting):
            judging = poll(
                lambda judging_id=judging_id: finished(client, judging_id),
                timeout=60,
                what=f"judging {judging_id}",
                log_path=light_worker,
            )
            assert (judging["status"], judging["judged"]) == ("succeeded", 4), judging["error"]
        assert client.get(f"/api/evaluations/{tuned['id']}").json()["metrics"]["judge_score"]["value"] == 0.9
        assert client.get(f"/api/evaluations/{base['id']}").json()["metrics"]["judge_score"]["value"] == 0.1
        log = light_worker.read_text()
        assert "judgings.judge" in log
        assert API_KEY not in log

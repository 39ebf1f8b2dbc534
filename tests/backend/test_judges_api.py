"""Judges through the API: stored per owner, the API key encrypted and never in a response, checked against a real
local endpoint."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.core.db import get_sessionmaker
from backend.core.secret_key import decrypt
from backend.models import Judge, JudgeKind, Role
from domain.catalog import BUNDLED_MODEL_NAME
from tests.accounts import create_account
from tests.judge_server import API_KEY, FakeJudge, Scripted, running_judge


@pytest.fixture
def fake_judge() -> Iterator[FakeJudge]:
    with running_judge() as fake:
        yield fake


def create_judge(client: TestClient, base_url: str = "http://127.0.0.1:9/v1", **fields: Any) -> dict[str, Any]:
    body = {"name": "grader", "base_url": base_url, "model": "judge-1", "api_key": API_KEY, **fields}
    response = client.post("/api/judges", json=body)
    assert response.status_code == 201, response.text
    assert API_KEY not in response.text
    judge: dict[str, Any] = response.json()
    return judge


def stored_key(judge_id: int) -> str | None:
    with get_sessionmaker()() as session:
        return session.scalars(select(Judge.api_key_encrypted).where(Judge.id == judge_id)).one()


class TestCreateJudge:
    def test_the_key_is_stored_encrypted_and_never_returned(self, client: TestClient) -> None:
        judge = create_judge(client, base_url="https://api.example.com/v1/")
        assert judge["kind"] == "openai"
        assert judge["base_url"] == "https://api.example.com/v1"  # the trailing slash goes
        assert judge["has_api_key"] is True
        assert "api_key" not in judge
        encrypted = stored_key(judge["id"])
        assert encrypted is not None and API_KEY not in encrypted
        assert decrypt(encrypted) == API_KEY
        for path in ("/api/judges", f"/api/judges/{judge['id']}"):
            response = client.get(path)
            assert response.status_code == 200
            assert API_KEY not in response.text

    def test_a_local_endpoint_without_a_key(self, client: TestClient) -> None:
        judge = create_judge(client, api_key=None)
        assert judge["has_api_key"] is False
        assert stored_key(judge["id"]) is None

    def test_a_registered_base_model_as_the_judge(self, client: TestClient) -> None:
        body = {"name": "local", "kind": "base_model", "model": BUNDLED_MODEL_NAME}
        response = client.post("/api/judges", json=body)
        assert response.status_code == 201, response.text
        assert (response.json()["kind"], response.json()["base_url"]) == ("base_model", None)
        check = client.post(f"/api/judges/{response.json()['id']}/check").json()
        assert check["ok"] is True and "training worker" in check["detail"]

    def test_what_is_wrong_is_named(self, client: TestClient) -> None:
        cases = [
            ({"name": "g", "model": "m"}, "base_url", "needs its endpoint"),
            ({"name": "g", "model": "m", "base_url": "ftp://x"}, "base_url", "http:// or https://"),
            ({"name": "g", "kind": "base_model", "model": "nowhere/model"}, "model", "no base model named"),
            ({"name": "g", "kind": "base_model", "model": BUNDLED_MODEL_NAME, "api_key": "k"}, "api_key", "no api_key"),
            ({"name": "", "model": "m", "base_url": "http://x"}, "name", "at least 1"),
        ]
        for body, field, words in cases:
            response = client.post("/api/judges", json=body)
            assert response.status_code == 422, response.text
            assert response.json()["field"] == field
            assert words in response.json()["detail"]
        assert client.get("/api/judges").json()["total"] == 0

    def test_a_reviewer_may_not_add_a_judge(self, client: TestClient) -> None:
        reviewer = create_account("reviewer@studio.test", Role.REVIEWER)
        body = {"name": "g", "model": "m", "base_url": "http://x"}
        response = client.post("/api/judges", json=body, headers=reviewer.headers)
        assert response.status_code == 403
        assert "Reviewers" in response.json()["detail"]


class TestUpdateJudge:
    def test_rename_replace_and_remove_the_key(self, client: TestClient) -> None:
        judge = create_judge(client)
        response = client.patch(f"/api/judges/{judge['id']}", json={"name": "renamed"})
        assert response.status_code == 200, response.text
        assert (response.json()["name"], response.json()["has_api_key"]) == ("renamed", True)
        assert decrypt(stored_key(judge["id"]) or "") == API_KEY  # not sent: kept

        new_key = "sk-replaced-1234"
        response = client.patch(f"/api/judges/{judge['id']}", json={"api_key": new_key, "model": "judge-2"})
        assert new_key not in response.text
        assert response.json()["model"] == "judge-2"
        assert decrypt(stored_key(judge["id"]) or "") == new_key

        response = client.patch(f"/api/judges/{judge['id']}", json={"api_key": ""})
        assert response.json()["has_api_key"] is False
        assert stored_key(judge["id"]) is None

    def test_the_kind_does_not_change(self, client: TestClient) -> None:
        judge = create_judge(client)
        response = client.patch(f"/api/judges/{judge['id']}", json={"kind": "base_model"})
        assert response.status_code == 422
        assert response.json()["field"] == "kind"


class TestDeleteJudge:
    def test_deleted(self, client: TestClient) -> None:
        judge = create_judge(client)
        assert client.delete(f"/api/judges/{judge['id']}").status_code == 204
        assert client.get(f"/api/judges/{judge['id']}").status_code == 404


class TestJudgeOwnership:
    def test_another_member_neither_sees_nor_uses_a_judge(self, client: TestClient) -> None:
        judge = create_judge(client)
        other = create_account("other@studio.test")
        assert client.get("/api/judges", headers=other.headers).json()["total"] == 0
        for method, path, body in (
            ("get", f"/api/judges/{judge['id']}", None),
            ("patch", f"/api/judges/{judge['id']}", {"name": "mine now"}),
            ("delete", f"/api/judges/{judge['id']}", None),
            ("post", f"/api/judges/{judge['id']}/check", None),
        ):
            response = client.request(method, path, json=body, headers=other.headers)
            assert response.status_code == 404, f"{method} {path}: {response.text}"
        assert client.get(f"/api/judges/{judge['id']}").json()["name"] == "grader"


class TestJudgeAddresses:
    def test_a_member_may_not_point_a_judge_inside_the_studios_network(self, client: TestClient) -> None:
        member = create_account("member@studio.test")
        for url in ("http://127.0.0.1:8000/v1", "http://10.1.2.3/v1", "http://[::1]:8080/v1", "http://localhost/v1"):
            response = client.post(
                "/api/judges", json={"name": "inside", "base_url": url, "model": "m"}, headers=member.headers
            )
            assert response.status_code == 422, url
            assert response.json()["field"] == "base_url"
            assert "only an admin" in response.json()["detail"]
        public = client.post(
            "/api/judges",
            json={"name": "public", "base_url": "http://8.8.8.8/v1", "model": "m"},
            headers=member.headers,
        )
        assert public.status_code == 201, public.text
        moved = client.patch(
            f"/api/judges/{public.json()['id']}",
            json={"base_url": "http://169.254.169.254/v1"},  # a cloud metadata service
            headers=member.headers,
        )
        assert (moved.status_code, moved.json()["field"]) == (422, "base_url")
        assert client.get(f"/api/judges/{public.json()['id']}").json()["base_url"] == "http://8.8.8.8/v1"
        # The admin runs the machine: a judge on localhost (vLLM, Ollama) is theirs to add.
        assert create_judge(client, base_url="http://127.0.0.1:9/v1")["base_url"] == "http://127.0.0.1:9/v1"


class TestCheckJudge:
    def test_a_members_judge_now_resolving_inside_the_network_is_not_called(
        self, client: TestClient, fake_judge: FakeJudge
    ) -> None:
        member = create_account("member@studio.test")
        port = fake_judge.url.split(":")[2].split("/")[0]
        with get_sessionmaker().begin() as session:  # saved while its name was public
            judge = Judge(
                owner_id=member.id,
                name="rebound",
                kind=JudgeKind.OPENAI,
                base_url=f"http://localhost:{port}/v1",
                model="m",
            )
            session.add(judge)
            session.flush()
            judge_id = judge.id
        response = client.post(f"/api/judges/{judge_id}/check", headers=member.headers)
        assert response.status_code == 200, response.text
        assert response.json()["ok"] is False
        assert response.json()["detail"] == (
            "localhost now resolves to 127.0.0.1, a loopback address: only an admin's judge may call it"
        )
        assert fake_judge.requests == []

    def test_an_endpoint_that_answers_with_a_score(self, client: TestClient, fake_judge: FakeJudge) -> None:
        fake_judge.script = lambda prompt, attempt: Scripted('{"score": 100, "explanation": "ok"}')
        judge = create_judge(client, base_url=fake_judge.url)
        response = client.post(f"/api/judges/{judge['id']}/check")
        assert response.status_code == 200, response.text
        assert response.json()["ok"] is True
        assert response.json()["reply"] == '{"score": 100, "explanation": "ok"}'
        [(path, headers, body)] = fake_judge.requests
        assert path == "/v1/chat/completions"
        assert headers["Authorization"] == f"Bearer {API_KEY}"
        assert body["model"] == "judge-1"
        assert API_KEY not in response.text

    def test_a_refused_key_and_an_unreadable_reply(self, client: TestClient, fake_judge: FakeJudge) -> None:
        judge = create_judge(client, base_url=fake_judge.url)
        # A server that quotes the key it refused: the detail does not repeat it.
        fake_judge.script = lambda prompt, attempt: Scripted(status=401, error=f"Incorrect API key: {API_KEY}")
        check = client.post(f"/api/judges/{judge['id']}/check").json()
        assert check["ok"] is False
        assert check["detail"].startswith("HTTP 401 from the judge: 'Incorrect API key: **********'")
        assert API_KEY not in str(check)

        fake_judge.script = lambda prompt, attempt: Scripted("I would rather not grade.")
        check = client.post(f"/api/judges/{judge['id']}/check").json()
        assert check["ok"] is False
        assert "not judged" in check["detail"] and check["reply"] == "I would rather not grade."

    def test_an_endpoint_that_is_not_there(self, client: TestClient) -> None:
        judge = create_judge(client, base_url="http://127.0.0.1:9/v1")  # the discard port: refused at once
        check = client.post(f"/api/judges/{judge['id']}/check").json()
        assert check["ok"] is False
        assert check["detail"].startswith("could not reach the judge: ConnectError")


class TestRubrics:
    def test_the_default_rubrics_with_their_placeholders(self, client: TestClient) -> None:
        rubrics = client.get("/api/judges/rubrics").json()
        assert rubrics["score"]["placeholders"] == ["instruction", "input", "expected", "response"]
        assert all(f"{{{name}}}" in rubrics["score"]["text"] for name in rubrics["score"]["placeholders"])
        assert rubrics["pairwise"]["placeholders"] == ["instruction", "input", "answer_a", "answer_b"]

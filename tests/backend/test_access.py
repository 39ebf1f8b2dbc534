"""Who may do what: every operation needs a sign-in, resources are private to their owner, writes are same-origin."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.core.db import get_sessionmaker
from backend.models import Role, Run
from tests.accounts import Account, create_account
from tests.factories import create_dataset
from worker.evaluation_store import Answers, record_automatic

# Reachable without credentials: health, and what it takes to get credentials.
PUBLIC = {"getHealth", "getAuthState", "createFirstAdmin", "signIn", "signUp", "createAccessToken"}
UNSAFE = {"post", "put", "patch", "delete"}


def operations(client: TestClient) -> list[tuple[str, str, str]]:
    """(method, path, operation id) of every operation in the OpenAPI schema."""
    schema: dict[str, Any] = client.get("/openapi.json").json()
    return [
        (method, path, operation["operationId"])
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def fill(path: str, ids: dict[str, int] | None = None) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: str((ids or {}).get(match.group(1), 1)), path)


class TestSignInRequired:
    def test_every_operation_but_sign_in_and_health_answers_401_without_credentials(
        self, anonymous_client: TestClient
    ) -> None:
        checked = 0
        for method, path, operation_id in operations(anonymous_client):
            if operation_id in PUBLIC:
                continue
            response = anonymous_client.request(method, fill(path))
            assert response.status_code == 401, f"{method.upper()} {path}: {response.status_code} {response.text}"
            assert response.headers["www-authenticate"] == "Bearer"
            assert "Sign in" in response.json()["detail"]
            checked += 1
        assert checked > 40

    def test_public_operations_answer_without_credentials(self, anonymous_client: TestClient) -> None:
        assert anonymous_client.get("/api/health").status_code == 200
        assert anonymous_client.get("/api/auth/state").json()["needs_admin"] is True
        assert anonymous_client.get("/openapi.json").status_code == 200

    def test_a_revoked_or_made_up_token_is_refused(self, anonymous_client: TestClient, admin: Account) -> None:
        for token in ("fts_made-up", "not-even-a-prefix"):
            response = anonymous_client.get("/api/runs", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401
            assert "expired or was revoked" in response.json()["detail"]
        assert anonymous_client.get("/api/runs", headers=admin.headers).status_code == 200


@pytest.fixture
def owner_resources(client: TestClient, admin: Account, model: str) -> tuple[Account, dict[str, int]]:
    """A member's dataset, preset, run and API token: what another member must not see."""
    owner = create_account("owner@studio.test")
    client.headers.update(owner.headers)
    dataset = create_dataset(client)
    preset = client.post("/api/presets", json={"name": "mine", "hyperparameters": {"lora_r": 4}}).json()
    run = client.post("/api/runs", json={"dataset_id": dataset["id"], "base_model": model, "preset_id": preset["id"]})
    assert run.status_code == 201, run.text
    token = client.post("/api/tokens", json={"name": "ci"}).json()
    client.headers.update(admin.headers)
    with get_sessionmaker().begin() as session:
        record_automatic(session, session.get_one(Run, run.json()["id"]), Answers([], [], [], [], []), None)
    evaluation = client.get("/api/evaluations", params={"run_id": run.json()["id"]}).json()["items"][0]
    ids = {
        "dataset_id": dataset["id"],
        "preset_id": preset["id"],
        "run_id": run.json()["id"],
        "token_id": token["id"],
        "evaluation_id": evaluation["id"],
        "number": 1,
    }
    return owner, ids


class TestOwnership:
    def test_another_member_gets_404_for_every_resource_operation(
        self, client: TestClient, owner_resources: tuple[Account, dict[str, int]]
    ) -> None:
        _owner, ids = owner_resources
        other = create_account("other@studio.test")
        resource_ids = {"dataset_id", "preset_id", "run_id", "token_id", "evaluation_id"}
        checked = set()
        for method, path, operation_id in operations(client):
            names = set(re.findall(r"\{(\w+)\}", path))
            if not names & resource_ids:
                continue
            response = client.request(method, fill(path, ids), headers=other.headers)
            assert response.status_code == 404, f"{method.upper()} {path}: {response.status_code} {response.text}"
            assert "owner" not in response.text
            checked.add(operation_id)
        assert {"getDataset", "getRun", "getPreset", "revokeApiToken", "streamRunEvents", "getEvaluation"} <= checked

    def test_lists_show_a_member_only_their_own_and_the_admin_everything(
        self, client: TestClient, owner_resources: tuple[Account, dict[str, int]]
    ) -> None:
        owner, ids = owner_resources
        other = create_account("other@studio.test")
        for path, key in (("/api/datasets", "dataset_id"), ("/api/runs", "run_id"), ("/api/tokens", "token_id")):
            assert ids[key] not in [item["id"] for item in client.get(path, headers=other.headers).json()["items"]]
            assert ids[key] in [item["id"] for item in client.get(path, headers=owner.headers).json()["items"]]
        presets = client.get("/api/presets", headers=other.headers).json()["items"]
        assert ids["preset_id"] not in [preset["id"] for preset in presets]
        assert all(preset["builtin"] for preset in presets)  # built-ins are everyone's
        assert client.get(f"/api/runs/{ids['run_id']}").status_code == 200  # as the admin
        assert ids["dataset_id"] in [item["id"] for item in client.get("/api/datasets").json()["items"]]

    def test_a_run_cannot_use_another_members_dataset_or_preset(
        self, client: TestClient, owner_resources: tuple[Account, dict[str, int]], model: str
    ) -> None:
        _owner, ids = owner_resources
        other = create_account("other@studio.test")
        body = {"dataset_id": ids["dataset_id"], "base_model": model}
        response = client.post("/api/runs", json=body, headers=other.headers)
        assert response.status_code == 404
        assert response.json()["detail"] == f"dataset {ids['dataset_id']} not found"
        own = client.post(
            "/api/datasets",
            files={"file": ("a.jsonl", b'{"instruction": "a", "output": "b"}\n' * 12)},
            headers=other.headers,
        ).json()
        body = {"dataset_id": own["id"], "base_model": model, "preset_id": ids["preset_id"]}
        response = client.post("/api/runs", json=body, headers=other.headers)
        assert response.status_code == 404
        assert response.json()["detail"] == f"preset {ids['preset_id']} not found"


class TestRoles:
    def test_a_reviewer_uploads_and_launches_nothing(self, client: TestClient, model: str) -> None:
        reviewer = create_account("reviewer@studio.test", Role.REVIEWER)
        dataset = create_dataset(client)
        attempts = [
            ("post", "/api/datasets", {"files": {"file": ("a.jsonl", b'{"instruction": "a", "output": "b"}\n')}}),
            ("post", "/api/presets", {"json": {"name": "p", "hyperparameters": {}}}),
            ("post", "/api/runs", {"json": {"dataset_id": dataset["id"], "base_model": model}}),
            ("post", "/api/models", {"json": {"name_or_path": "org/model"}}),
        ]
        for method, path, kwargs in attempts:
            response = client.request(method, path, headers=reviewer.headers, **kwargs)
            assert response.status_code == 403, f"{path}: {response.text}"
            assert "Reviewers" in response.json()["detail"]
        assert client.get("/api/runs", headers=reviewer.headers).json()["total"] == 0

    def test_only_an_admin_manages_users(self, client: TestClient) -> None:
        member = create_account("member@studio.test")
        for method, path in (("get", "/api/users"), ("post", "/api/invitations"), ("put", "/api/access-policy")):
            response = client.request(method, path, headers=member.headers)
            assert response.status_code == 403, path
            assert response.json()["detail"] == "Only an admin can do this."

    def test_only_an_admin_registers_a_local_directory_and_only_under_the_model_roots(
        self, client: TestClient, tiny_model: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        member = create_account("member@studio.test")
        response = client.post("/api/models", json={"name_or_path": str(tiny_model)}, headers=member.headers)
        assert response.status_code == 403
        assert "Only an admin can register a local model directory" in response.json()["detail"]
        response = client.post("/api/models", json={"name_or_path": "/etc"})
        assert response.status_code == 422
        assert response.json()["field"] == "name_or_path"
        assert "outside the model roots" in response.json()["detail"]


class TestSameOriginWrites:
    def test_every_state_changing_operation_from_another_site_is_refused(self, client: TestClient) -> None:
        checked = 0
        for method, path, _operation_id in operations(client):
            if method not in UNSAFE:
                continue
            for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
                response = client.request(method, fill(path), headers=headers, cookies={"studio_session": "x"})
                assert response.status_code == 403, f"{method.upper()} {path} {headers}: {response.status_code}"
                assert "Cross-site request refused" in response.json()["detail"]
            checked += 1
        assert checked > 20

    def test_the_studios_own_pages_may_write(self, client: TestClient) -> None:
        headers = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
        response = client.post("/api/presets", json={"name": "p", "hyperparameters": {}}, headers=headers)
        assert response.status_code == 201

    def test_an_unknown_host_header_is_refused(self, client: TestClient) -> None:
        response = client.get("/api/health", headers={"Host": "rebound.attacker.example:8000"})
        assert response.status_code == 400
        assert response.json()["field"] == "host"
        assert "STUDIO_ALLOWED_HOSTS" in response.json()["detail"]
        assert client.get("/api/health", headers={"Host": "localhost:8000"}).status_code == 200

    def test_every_response_carries_the_security_headers(self, client: TestClient) -> None:
        for response in (client.get("/api/health"), client.get("/api/runs/999"), client.get("/api/runs")):
            assert "script-src 'self';" in response.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"

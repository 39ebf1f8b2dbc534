"""Webhooks of a run's end against a real local HTTP server: the signed body, retries with backoff and the
recorded attempts, the address rule at save and at call time, and a real light worker delivering."""

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.secret_key import decrypt, encrypt
from backend.core.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, Target, verify
from backend.models import Run, RunStatus, utcnow
from tests.accounts import Account, create_account
from tests.conftest import Stack
from tests.factories import create_dataset, create_run
from tests.processes import celery_worker, poll
from tests.webhook_server import Answer, Receiver, running_receiver
from worker import run_store
from worker.leases import reap_expired
from worker.webhooks import deliver

SECRET = "whsec-7d1e0b-do-not-leak"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def dataset_id(client: TestClient) -> int:
    dataset_id: int = create_dataset(client)["id"]
    return dataset_id


def with_webhook(client: TestClient, run_id: int, url: str, account: Account | None = None) -> TestClient:
    headers = account.headers if account else {}
    response = client.patch(f"/api/runs/{run_id}", json={"webhook_url": url, "webhook_secret": SECRET}, headers=headers)
    assert response.status_code == 200, response.text
    return client


def deliveries(client: TestClient, run_id: int) -> list[dict[str, object]]:
    response = client.get(f"/api/runs/{run_id}/webhook-deliveries")
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


class TestDelivery:
    def test_the_body_is_signed_with_the_runs_secret(
        self, client: TestClient, admin: Account, dataset_id: int, receiver: Receiver
    ) -> None:
        run_id = create_run(admin.id, dataset_id, "nightly", best_eval_loss=1.25, final_eval_loss=1.3, rouge_l=0.41)
        with_webhook(client, run_id, receiver.url)

        assert deliver(run_id, "run.succeeded", Target.RUN, 1) is False  # delivered: nothing to retry

        [received] = receiver.received
        timestamp, signature = received.headers[TIMESTAMP_HEADER], received.headers[SIGNATURE_HEADER]
        assert signature.startswith("sha256=")
        assert verify(SECRET, timestamp, received.body, signature)
        assert not verify("another-secret", timestamp, received.body, signature)
        # The timestamp is signed: the same body sent with another one does not verify.
        assert not verify(SECRET, str(int(timestamp) + 600), received.body, signature)
        body = json.loads(received.body)
        assert body == {
            "event": "run.succeeded",
            "run_id": run_id,
            "name": "nightly",
            "status": "succeeded",
            "final_eval_loss": 1.3,
            "best_eval_loss": 1.25,
            "metric": {"name": "rouge_l", "value": 0.41, "change_vs_base": None},
            "error": None,
            "finished_at": None,
            "url": f"{get_settings().studio_url}/runs/{run_id}",
        }
        [recorded] = deliveries(client, run_id)
        assert recorded["status_code"] == 200 and recorded["error"] is None and recorded["attempt"] == 1
        assert recorded["event"] == "run.succeeded" and recorded["url"] == receiver.url

    def test_a_5xx_is_retried_a_4xx_is_not(
        self, client: TestClient, admin: Account, dataset_id: int, receiver: Receiver
    ) -> None:
        run_id = create_run(admin.id, dataset_id, "r", status=RunStatus.FAILED)
        with_webhook(client, run_id, receiver.url)
        receiver.script = lambda count: Answer(503 if count == 1 else 404)
        assert deliver(run_id, "run.failed", Target.RUN, 1) is True
        assert deliver(run_id, "run.failed", Target.RUN, 2) is False
        second, first = deliveries(client, run_id)  # newest first
        assert (first["attempt"], first["status_code"]) == (1, 503)
        assert (second["attempt"], second["status_code"]) == (2, 404)
        assert str(second["error"]).startswith("HTTP 404")

    def test_a_webhook_that_does_not_answer_in_time_is_retried(
        self,
        client: TestClient,
        admin: Account,
        dataset_id: int,
        receiver: Receiver,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        run_id = create_run(admin.id, dataset_id, "r", status=RunStatus.CANCELLED)
        with_webhook(client, run_id, receiver.url)
        monkeypatch.setenv("STUDIO_WEBHOOK_TIMEOUT_SECONDS", "0.3")
        get_settings.cache_clear()
        receiver.script = lambda _count: Answer(delay_s=2)
        assert deliver(run_id, "run.cancelled", Target.RUN, 1) is True
        [recorded] = deliveries(client, run_id)
        assert recorded["status_code"] is None and recorded["error"] == "no answer within 0.3 s"
        assert 0.3 <= float(str(recorded["duration_seconds"])) < 2

    def test_a_members_webhook_now_resolving_inside_the_network_is_not_called(
        self, client: TestClient, dataset_id: int, receiver: Receiver
    ) -> None:
        member = create_account("member@studio.test")
        # Stored as if its name had resolved to a public address when it was saved (DNS rebinding).
        run_id = create_run(
            member.id, dataset_id, "r", webhook_url=receiver.url, webhook_secret_encrypted=encrypt(SECRET)
        )
        assert deliver(run_id, "run.succeeded", Target.RUN, 1) is False  # refused for good: no retry
        assert receiver.received == []
        [recorded] = deliveries(client, run_id)
        assert "127.0.0.1 resolves to 127.0.0.1, a loopback address" in str(recorded["error"])


class TestSaving:
    def test_the_secret_is_stored_encrypted_and_never_returned(
        self, client: TestClient, admin: Account, dataset_id: int
    ) -> None:
        run_id = create_run(admin.id, dataset_id, "r")
        response = client.patch(
            f"/api/runs/{run_id}", json={"webhook_url": "https://hooks.example.com/x", "webhook_secret": SECRET}
        )
        assert response.status_code == 200, response.text
        assert response.json()["webhook_url"] == "https://hooks.example.com/x"
        assert response.json()["has_webhook_secret"] is True
        for path in (f"/api/runs/{run_id}", "/api/runs", f"/api/runs/{run_id}/webhook-deliveries", "/openapi.json"):
            answer = client.get(path)
            assert answer.status_code == 200 and SECRET not in answer.text
        assert SECRET not in response.text
        with get_sessionmaker()() as session:
            stored = session.scalars(select(Run.webhook_secret_encrypted).where(Run.id == run_id)).one()
        assert stored is not None and SECRET not in stored and decrypt(stored) == SECRET

        removed = client.patch(f"/api/runs/{run_id}", json={"webhook_url": ""})
        assert removed.status_code == 200
        assert (removed.json()["webhook_url"], removed.json()["has_webhook_secret"]) == (None, False)

    def test_a_webhook_needs_a_secret_to_sign_with(self, client: TestClient, admin: Account, dataset_id: int) -> None:
        run_id = create_run(admin.id, dataset_id, "r")
        response = client.patch(f"/api/runs/{run_id}", json={"webhook_url": "https://hooks.example.com/x"})
        assert response.status_code == 422
        assert "webhook_secret: the studio has no global webhook secret" in response.text
        not_a_url = client.patch(
            f"/api/runs/{run_id}", json={"webhook_url": "hooks.example.com", "webhook_secret": "s"}
        )
        assert not_a_url.status_code == 422 and "webhook_url" in not_a_url.text
        assert client.get(f"/api/runs/{run_id}").json()["webhook_url"] is None

    def test_the_global_secret_signs_a_run_without_its_own(
        self, client: TestClient, admin: Account, dataset_id: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("STUDIO_WEBHOOK_SECRET", "global-secret")
        get_settings.cache_clear()
        run_id = create_run(admin.id, dataset_id, "r")
        response = client.patch(f"/api/runs/{run_id}", json={"webhook_url": "https://hooks.example.com/x"})
        assert response.status_code == 200, response.text
        assert response.json()["has_webhook_secret"] is False

    def test_a_member_may_not_point_a_webhook_inside_the_studios_network(
        self, client: TestClient, dataset_id: int
    ) -> None:
        member = create_account("member@studio.test")
        run_id = create_run(member.id, dataset_id, "r")
        for url in (
            "http://127.0.0.1:9/hook",
            "http://localhost/hook",
            "http://10.0.0.5/hook",
            "http://169.254.169.254/",
        ):
            response = client.patch(
                f"/api/runs/{run_id}", json={"webhook_url": url, "webhook_secret": "s"}, headers=member.headers
            )
            assert response.status_code == 422, url
            assert response.json()["detail"].startswith("webhook_url: ") and "only an admin" in response.text
        assert client.get(f"/api/runs/{run_id}").json()["webhook_url"] is None
        # An admin may (on the member's run too).
        with_webhook(client, run_id, "http://127.0.0.1:9/hook")


class TestWorker:
    def test_a_light_worker_delivers_a_cancel_retrying_a_500(
        self, client: TestClient, admin: Account, dataset_id: int, receiver: Receiver, stack: Stack, tmp_path: Path
    ) -> None:
        run_id = create_run(admin.id, dataset_id, "queued", status=RunStatus.QUEUED)
        with_webhook(client, run_id, receiver.url)
        receiver.script = lambda count: Answer(500 if count == 1 else 200)
        log = tmp_path / "light-worker.log"
        with celery_worker({**stack.env(), "STUDIO_WEBHOOK_BACKOFF_SECONDS": "0.5"}, log, queue="light"):
            response = client.post(f"/api/runs/{run_id}/cancel")
            assert response.status_code == 200 and response.json()["status"] == "cancelled"
            recorded = poll(
                lambda: items if len(items := deliveries(client, run_id)) == 2 else None,
                timeout=60,
                what="two delivery attempts",
                log_path=log,
            )
        second, first = recorded
        assert (first["attempt"], first["status_code"], first["event"]) == (1, 500, "run.cancelled")
        assert (second["attempt"], second["status_code"], second["error"]) == (2, 200, None)
        assert len(receiver.received) == 2
        last = receiver.received[-1]
        assert verify(SECRET, last.headers[TIMESTAMP_HEADER], last.body, last.headers[SIGNATURE_HEADER])
        assert json.loads(last.body)["status"] == "cancelled"

    def test_the_global_webhook_hears_a_finish_and_the_reapers_giving_up(
        self,
        admin: Account,
        dataset_id: int,
        receiver: Receiver,
        stack: Stack,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        settings = {"STUDIO_WEBHOOK_URL": receiver.url, "STUDIO_WEBHOOK_SECRET": "global-secret"}
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        expired = utcnow() - timedelta(minutes=5)
        finished = create_run(admin.id, dataset_id, "trained", status=RunStatus.RUNNING, lease_owner="w1")
        lost = create_run(
            admin.id,
            dataset_id,
            "lost",
            status=RunStatus.RUNNING,
            lease_owner="w2",
            lease_expires_at=expired,
            attempts=get_settings().max_attempts,
        )
        log = tmp_path / "light-worker.log"
        with celery_worker({**stack.env(), **settings}, log, queue="light"):
            assert run_store.finish(finished, "w1", RunStatus.SUCCEEDED, "finished after 3 steps")
            reap_expired(lambda _run_id: None)
            poll(lambda: True if len(receiver.received) == 2 else None, timeout=60, what="two deliveries", log_path=log)
        bodies = {json.loads(r.body)["run_id"]: r for r in receiver.received}
        assert json.loads(bodies[finished].body)["event"] == "run.succeeded"
        assert json.loads(bodies[lost].body)["event"] == "run.failed"
        assert "giving up after" in json.loads(bodies[lost].body)["error"]
        for received in receiver.received:
            headers = received.headers
            assert verify("global-secret", headers[TIMESTAMP_HEADER], received.body, headers[SIGNATURE_HEADER])

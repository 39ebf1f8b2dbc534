"""Where queued runs stand: their place among the training queue's work, what is ahead, whether any training worker
runs; the Workers page's queue with what each worker is on. Other users' work is counted, not named."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from backend.core.db import get_sessionmaker
from backend.main import create_app
from backend.models import Run, RunStatus
from tests.accounts import create_account
from tests.factories import create_dataset, create_worker


def _run(client: TestClient, dataset: dict[str, Any]) -> int:
    response = client.post("/api/runs", json={"dataset_id": dataset["id"]})
    assert response.status_code == 201, response.text
    run_id: int = response.json()["id"]
    return run_id


def _place(client: TestClient, run_id: int) -> tuple[int | None, str | None]:
    run = client.get(f"/api/runs/{run_id}").json()
    return run["queue_position"], run["queue_note"]


def test_queued_runs_say_where_they_stand(client: TestClient) -> None:
    dataset = create_dataset(client, count=12)
    first, second = _run(client, dataset), _run(client, dataset)
    member = create_account("member@example.com")
    with TestClient(create_app(), headers=member.headers) as member_client:
        theirs = _run(member_client, create_dataset(member_client, count=12))

        position, note = _place(client, first)
        assert position == 1
        assert note is not None and note.startswith("1st in the queue; no training worker is running: start one with")
        assert _place(client, second)[1] == (
            f"2nd in the queue, behind run {first}; no training worker is running: start one with "
            "`.venv/bin/celery -A worker.celery_app worker --pool=solo --queues=training`"
        )
        # The member sees their own place, and that two runs of someone else are ahead: not which.
        assert _place(member_client, theirs)[1] == (
            "3rd in the queue, behind another user's run and 1 more; no training worker is running: start one with "
            "`.venv/bin/celery -A worker.celery_app worker --pool=solo --queues=training`"
        )

        worker = create_worker(device="cpu", device_count=0, device_name="AMD EPYC", memory_bytes=64 * 1024**3)
        assert _place(client, first) == (1, "1st in the queue: a worker should take it in a moment")
        assert _place(client, second) == (
            2,
            (f"2nd in the queue, behind run {first}: the training worker takes what is ahead first"),
        )
        listed = {run["id"]: run["queue_position"] for run in client.get("/api/runs").json()["items"]}
        assert listed == {first: 1, second: 2, theirs: 3}

        # The worker takes the first run: everything moves up, and the queue says what the worker is on.
        with get_sessionmaker().begin() as session:
            session.execute(update(Run).where(Run.id == first).values(status=RunStatus.RUNNING, lease_owner=worker.id))
        assert _place(client, first) == (None, None)
        assert _place(member_client, theirs)[0] == 2
        # The worker is busy: the next run waits for it, and says for what.
        assert _place(client, second) == (1, f"1st in the queue: the training worker is on run {first}")
        assert _place(member_client, theirs) == (
            2,
            "2nd in the queue, behind another user's run: the training worker is on another user's run",
        )

        queue = member_client.get("/api/queue").json()
        [listed_worker] = queue["workers"]
        assert listed_worker["id"] == worker.id and listed_worker["device_name"] == "AMD EPYC"
        assert listed_worker["task"] == {"kind": "run", "id": None}  # the admin's run: not named to the member
        assert client.get("/api/queue").json()["workers"][0]["task"] == {"kind": "run", "id": first}
        waiting = queue["waiting"]
        assert [(item["position"], item["kind"], item["id"], item["name"]) for item in waiting] == [
            (1, "run", None, "another user's run"),
            (2, "run", theirs, waiting[1]["name"]),
        ]
        assert waiting[0]["verdict"] is None  # no estimate of someone else's run
        assert waiting[1]["verdict"] == "fits", waiting[1]

        # A cancelled queued run leaves the queue at once.
        assert member_client.post(f"/api/runs/{theirs}/cancel").status_code == 200
        assert [item["id"] for item in client.get("/api/queue").json()["waiting"]] == [second]

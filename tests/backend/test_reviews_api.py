"""Reviews of an evaluation's answers through the API: autosave with versions, undo, the summary, export, and a new
dataset version made from them."""

import csv
import io
import json
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from backend.core.db import get_sessionmaker
from backend.main import create_app
from backend.models import Evaluation, Role, RunStatus
from tests.accounts import Account, create_account
from tests.factories import create_dataset, create_evaluation, jsonl, upload_dataset

# The first admin takes over the placeholder owner of pre-account data, and its name.
ADMIN_NAME = "local"


def reviews_path(evaluation_id: int) -> str:
    return f"/api/evaluations/{evaluation_id}/reviews"


def review(example_id: int, verdict: str = "correct", **fields: Any) -> dict[str, Any]:
    return {"example_id": example_id, "verdict": verdict, **fields}


@pytest.fixture
def evaluation(client: TestClient, admin: Account) -> tuple[int, list[int]]:
    """A finished evaluation of a 100-example dataset's 10 test examples; the answers are the expected ones."""
    dataset = create_dataset(client, count=100)
    return create_evaluation(admin.id, dataset["id"])


class TestSaveReview:
    def test_create_then_edit_with_the_version(self, client: TestClient, evaluation: tuple[int, list[int]]) -> None:
        evaluation_id, examples = evaluation
        created = client.post(
            reviews_path(evaluation_id), json=review(examples[0], "partly", score=3, tags=["incomplete"])
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert (body["verdict"], body["score"], body["tags"], body["version"]) == ("partly", 3, ["incomplete"], 1)
        assert body["reviewer"] == ADMIN_NAME
        edited = client.post(reviews_path(evaluation_id), json=review(examples[0], "wrong", note="made up", version=1))
        assert edited.status_code == 200, edited.text
        assert (edited.json()["verdict"], edited.json()["note"], edited.json()["version"]) == ("wrong", "made up", 2)
        assert [r["verdict"] for r in client.get(reviews_path(evaluation_id)).json()] == ["wrong"]

    def test_a_stale_version_is_refused_with_the_current_review(
        self, client: TestClient, evaluation: tuple[int, list[int]]
    ) -> None:
        evaluation_id, examples = evaluation
        client.post(reviews_path(evaluation_id), json=review(examples[0]))
        client.post(reviews_path(evaluation_id), json=review(examples[0], "wrong", version=1))
        stale = client.post(reviews_path(evaluation_id), json=review(examples[0], "partly", version=1))
        assert stale.status_code == 409
        assert stale.json()["current"]["verdict"] == "wrong"
        assert stale.json()["current"]["version"] == 2
        # A first save when one exists (another tab saved first) is stale too.
        again = client.post(reviews_path(evaluation_id), json=review(examples[0], "partly"))
        assert again.status_code == 409
        assert again.json()["current"]["version"] == 2
        assert client.get(reviews_path(evaluation_id)).json()[0]["verdict"] == "wrong"

    def test_two_reviewers_never_overwrite_each_other(
        self, client: TestClient, evaluation: tuple[int, list[int]]
    ) -> None:
        evaluation_id, examples = evaluation
        other = create_account("second@studio.test", Role.ADMIN)
        client.post(reviews_path(evaluation_id), json=review(examples[0], "correct"))
        theirs = client.post(reviews_path(evaluation_id), json=review(examples[0], "wrong"), headers=other.headers)
        assert theirs.status_code == 201
        verdicts = {r["reviewer"]: r["verdict"] for r in client.get(reviews_path(evaluation_id)).json()}
        assert verdicts == {ADMIN_NAME: "correct", "second@studio.test": "wrong"}
        mine = client.get(reviews_path(evaluation_id), params={"reviewer": "me"}, headers=other.headers).json()
        assert [r["verdict"] for r in mine] == ["wrong"]

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"verdict": "maybe"}, "verdict"),
            ({"score": 6}, "score"),
            ({"tags": ["x" * 41]}, "tags.0"),
            ({"tags": [" "]}, "tags.0"),
            ({"tags": [f"t{i}" for i in range(11)]}, "tags"),
            ({"note": "n" * 5001}, "note"),
        ],
    )
    def test_bad_fields_are_named(
        self, client: TestClient, evaluation: tuple[int, list[int]], fields: dict[str, Any], field: str
    ) -> None:
        evaluation_id, examples = evaluation
        response = client.post(reviews_path(evaluation_id), json={**review(examples[0]), **fields})
        assert response.status_code == 422
        assert response.json()["field"] == field
        assert client.get(reviews_path(evaluation_id)).json() == []

    def test_an_example_outside_the_evaluation_is_refused(
        self, client: TestClient, admin: Account, evaluation: tuple[int, list[int]]
    ) -> None:
        evaluation_id, examples = evaluation
        response = client.post(reviews_path(evaluation_id), json=review(max(examples) + 1000))
        assert response.status_code == 422
        assert response.json()["field"] == "example_id"

    def test_an_unfinished_evaluation_is_refused(self, client: TestClient, evaluation: tuple[int, list[int]]) -> None:
        evaluation_id, examples = evaluation
        with get_sessionmaker().begin() as session:
            session.execute(update(Evaluation).where(Evaluation.id == evaluation_id).values(status=RunStatus.RUNNING))
        response = client.post(reviews_path(evaluation_id), json=review(examples[0]))
        assert response.status_code == 422
        assert "running" in response.json()["detail"]

    def test_another_members_evaluation_is_not_found(
        self, client: TestClient, evaluation: tuple[int, list[int]]
    ) -> None:
        evaluation_id, examples = evaluation
        other = create_account("member@studio.test")
        for response in (
            client.get(reviews_path(evaluation_id), headers=other.headers),
            client.post(reviews_path(evaluation_id), json=review(examples[0]), headers=other.headers),
            client.get(f"{reviews_path(evaluation_id)}/summary", headers=other.headers),
            client.get(f"{reviews_path(evaluation_id)}/export", headers=other.headers),
            client.post(f"{reviews_path(evaluation_id)}/dataset", json={"name": "x"}, headers=other.headers),
        ):
            assert response.status_code == 404


class TestDeleteReview:
    def test_undo_a_first_verdict(self, client: TestClient, evaluation: tuple[int, list[int]]) -> None:
        evaluation_id, examples = evaluation
        client.post(reviews_path(evaluation_id), json=review(examples[0]))
        client.post(reviews_path(evaluation_id), json=review(examples[0], "wrong", version=1))
        path = f"{reviews_path(evaluation_id)}/{examples[0]}"
        assert client.delete(path, params={"version": 1}).status_code == 409
        assert client.delete(path, params={"version": 2}).status_code == 204
        assert client.get(reviews_path(evaluation_id)).json() == []
        assert client.delete(path, params={"version": 2}).status_code == 404
        # After an undo the next save starts from no review.
        assert client.post(reviews_path(evaluation_id), json=review(examples[0])).status_code == 201


class TestConcurrentReviewers:
    def test_twenty_reviewers_saving_at_once_lose_nothing(
        self, client: TestClient, evaluation: tuple[int, list[int]]
    ) -> None:
        evaluation_id, examples = evaluation
        reviewers = [create_account(f"reviewer{i}@studio.test", Role.ADMIN) for i in range(20)]
        app = create_app()
        start = threading.Barrier(len(reviewers))
        failures: list[str] = []

        def review_all(account: Account, index: int) -> None:
            with TestClient(app, headers=account.headers) as own:
                start.wait()
                for example_id in examples[:5]:
                    verdict = ("correct", "partly", "wrong")[(index + example_id) % 3]
                    response = own.post(
                        reviews_path(evaluation_id), json=review(example_id, verdict, note=account.email)
                    )
                    if response.status_code != 201:
                        failures.append(f"{account.email}: {response.status_code} {response.text}")

        threads = [threading.Thread(target=review_all, args=(account, i)) for i, account in enumerate(reviewers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        saved = client.get(reviews_path(evaluation_id)).json()
        assert len(saved) == 20 * 5
        by_reviewer = {(r["reviewer"], r["example_id"]): r for r in saved}
        for index, account in enumerate(reviewers):
            for example_id in examples[:5]:
                stored = by_reviewer[(account.email, example_id)]
                assert stored["verdict"] == ("correct", "partly", "wrong")[(index + example_id) % 3]
                assert stored["note"] == account.email

    def test_edits_from_one_version_at_once_one_wins(
        self, client: TestClient, admin: Account, evaluation: tuple[int, list[int]]
    ) -> None:
        evaluation_id, examples = evaluation
        client.post(reviews_path(evaluation_id), json=review(examples[0]))
        app = create_app()
        start = threading.Barrier(10)
        statuses: list[int] = []

        def edit(index: int) -> None:
            with TestClient(app, headers=admin.headers) as own:
                start.wait()
                body = review(examples[0], "wrong", note=f"tab {index}", version=1)
                statuses.append(own.post(reviews_path(evaluation_id), json=body).status_code)

        threads = [threading.Thread(target=edit, args=(index,)) for index in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [200] + [409] * 9
        stored = client.get(reviews_path(evaluation_id)).json()
        assert len(stored) == 1
        assert stored[0]["version"] == 2


class TestSummary:
    def test_counts_share_tags_and_agreement(self, client: TestClient, admin: Account) -> None:
        dataset = create_dataset(client, count=100)
        evaluation_id, examples = create_evaluation(admin.id, dataset["id"], judge_score=0.9)
        other = create_account("second@studio.test", Role.ADMIN)
        # Two reviewers on 4 shared examples: they agree on 3 (kappa hand-computed below).
        mine = ["correct", "correct", "wrong", "partly"]
        theirs = ["correct", "correct", "wrong", "wrong"]
        for example_id, a, b in zip(examples, mine, theirs, strict=False):
            client.post(
                reviews_path(evaluation_id), json=review(example_id, a, tags=["incomplete"] if a != "correct" else [])
            )
            client.post(reviews_path(evaluation_id), json=review(example_id, b), headers=other.headers)
        summary = client.get(f"{reviews_path(evaluation_id)}/summary").json()
        assert summary["examples"] == 10
        assert summary["reviewed"] == 4
        assert summary["by_verdict"] == {"correct": 4, "partly": 1, "wrong": 3}
        # Wilson 95% for 4 of 8.
        assert summary["share_correct"]["value"] == 0.5
        assert summary["share_correct"]["ci_low"] == pytest.approx(0.2152, abs=1e-4)
        assert summary["share_correct"]["ci_high"] == pytest.approx(0.7848, abs=1e-4)
        assert summary["tags"] == [{"tag": "incomplete", "correct": 0, "partly": 1, "wrong": 1}]
        assert summary["reviewers"] == [
            {"reviewer": ADMIN_NAME, "reviewed": 4},
            {"reviewer": "second@studio.test", "reviewed": 4},
        ]
        # Observed 3/4; expected: correct 2/4*2/4 + wrong 1/4*2/4 + partly 1/4*0 = 0.375; kappa = 0.375/0.625 = 0.6.
        assert summary["agreement"]["method"] == "cohen_kappa"
        assert summary["agreement"]["value"] == pytest.approx(0.6)
        assert summary["agreement"]["shared_examples"] == 4
        # The judge says correct (0.9) everywhere; the reviewers' majority: correct, correct, wrong, and a tie
        # (partly/wrong) that is skipped.
        judge = summary["judge_agreement"]
        assert judge["examples"] == 3
        assert judge["agreement_rate"] == pytest.approx(2 / 3)

    def test_nothing_reviewed(self, client: TestClient, evaluation: tuple[int, list[int]]) -> None:
        summary = client.get(f"{reviews_path(evaluation[0])}/summary").json()
        assert (summary["reviewed"], summary["share_correct"], summary["agreement"], summary["judge_agreement"]) == (
            0,
            None,
            None,
            None,
        )


class TestExport:
    def test_jsonl_and_csv_with_formulas_neutralised(
        self, client: TestClient, evaluation: tuple[int, list[int]]
    ) -> None:
        evaluation_id, examples = evaluation
        client.post(
            reviews_path(evaluation_id),
            json=review(
                examples[0],
                "wrong",
                score=1,
                tags=["hallucination", "unsafe"],
                note="=HYPERLINK(1)",
                corrected_answer="@fixed",
            ),
        )
        lines = client.get(f"{reviews_path(evaluation_id)}/export", params={"format": "jsonl"}).text.splitlines()
        row = json.loads(lines[0])
        assert len(lines) == 1
        assert (row["example_id"], row["verdict"], row["score"], row["tags"]) == (
            examples[0],
            "wrong",
            1,
            ["hallucination", "unsafe"],
        )
        assert (row["note"], row["corrected_answer"], row["reviewer"]) == ("=HYPERLINK(1)", "@fixed", ADMIN_NAME)
        assert row["expected"] == row["generated"]
        assert row["instruction"]
        response = client.get(f"{reviews_path(evaluation_id)}/export", params={"format": "csv"})
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == 1
        assert (rows[0]["note"], rows[0]["corrected_answer"], rows[0]["tags"]) == (
            "'=HYPERLINK(1)",
            "'@fixed",
            "hallucination; unsafe",
        )


class TestDatasetFromReviews:
    def test_corrected_and_approved_answers_keep_their_split(self, client: TestClient, admin: Account) -> None:
        dataset = create_dataset(client, count=100)
        evaluation_id, examples = create_evaluation(
            admin.id, dataset["id"], lambda _id, expected: f"model says {expected}"
        )
        client.post(reviews_path(evaluation_id), json=review(examples[0], "wrong", corrected_answer="the fix"))
        client.post(reviews_path(evaluation_id), json=review(examples[1], "correct"))
        client.post(reviews_path(evaluation_id), json=review(examples[2], "wrong"))
        path = f"{reviews_path(evaluation_id)}/dataset"

        preview = client.post(path, json={"name": "v2", "preview": True})
        assert preview.status_code == 200, preview.text
        body = preview.json()
        assert (body["rows"], body["dropped"]) == (100, 0)
        changed = {row["example_id"]: row for row in body["changed"]}
        assert set(changed) == {examples[0], examples[1]}
        assert (changed[examples[0]]["after"], changed[examples[0]]["reason"], changed[examples[0]]["split"]) == (
            "the fix",
            "corrected",
            "test",
        )
        assert changed[examples[1]]["after"] == f"model says {changed[examples[1]]['before']}"
        assert changed[examples[1]]["reason"] == "approved"
        assert client.get("/api/datasets").json()["total"] == 1  # the preview stored nothing

        created = client.post(path, json={"name": "v2", "drop_wrong": True})
        assert created.status_code == 201, created.text
        new = created.json()
        assert new["derived_from_id"] == dataset["id"]
        # The wrong one without a correction is dropped: one test example fewer, the other splits as they were.
        assert (new["num_rows"], new["num_train"], new["num_validation"], new["num_test"]) == (
            99,
            dataset["num_train"],
            dataset["num_validation"],
            dataset["num_test"] - 1,
        )
        test_outputs = [
            e["record"]["output"]
            for e in client.get(f"/api/datasets/{new['id']}/examples", params={"split": "test", "limit": 100}).json()[
                "items"
            ]
        ]
        assert "the fix" in test_outputs
        assert sum(output.startswith("model says") for output in test_outputs) == 1

        kept = client.post(path, json={"name": "v3", "use_approved_answers": False}).json()
        assert kept["num_rows"] == 100

    def test_chat_data_gets_its_last_assistant_turn_replaced(self, client: TestClient, admin: Account) -> None:
        rows = [
            {
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": f"Say {i}"},
                    {"role": "assistant", "content": f"{i}"},
                    {"role": "user", "content": f"Again {i}"},
                    {"role": "assistant", "content": f"{i} again"},
                ]
            }
            for i in range(40)
        ]
        dataset = upload_dataset(client, jsonl(rows)).json()  # type: ignore[arg-type]
        evaluation_id, examples = create_evaluation(admin.id, dataset["id"])
        client.post(reviews_path(evaluation_id), json=review(examples[0], "partly", corrected_answer="fixed"))
        created = client.post(f"{reviews_path(evaluation_id)}/dataset", json={"name": "chat v2"})
        assert created.status_code == 201, created.text
        new = client.get(f"/api/datasets/{created.json()['id']}").json()
        assert new["shape"] == "chat"
        records = [
            e["record"]
            for e in client.get(f"/api/datasets/{new['id']}/examples", params={"split": "test"}).json()["items"]
        ]
        fixed = [r for r in records if r["messages"][-1]["content"] == "fixed"]
        assert len(fixed) == 1
        assert len(fixed[0]["messages"]) == 5
        assert fixed[0]["messages"][2]["content"] != "fixed"

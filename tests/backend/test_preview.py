"""Templates, the token-by-token preview, token statistics and template changes, through the API on both stacks.

The tokenizer is the tiny test model's (SmolLM2's), registered as a local model directory.
"""

import json
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import alpaca_rows, create_dataset, token_stats, upload_dataset

EOS = "<|im_end|>"


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def _chat_dataset(client: TestClient, count: int = 12) -> dict[str, Any]:
    rows = [
        {
            "messages": [
                {"role": "system", "content": "Answer in one word."},
                {"role": "user", "content": f"Opposite of hot #{i}?"},
                {"role": "assistant", "content": "Cold."},
                {"role": "user", "content": "And of up?"},
                {"role": "assistant", "content": "Down."},
            ]
        }
        for i in range(count)
    ]
    response = upload_dataset(client, _jsonl(rows), name="chats")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _first_example(client: TestClient, dataset: dict[str, Any]) -> dict[str, Any]:
    page = client.get(f"/api/datasets/{dataset['id']}/examples", params={"limit": 1}).json()
    item: dict[str, Any] = page["items"][0]
    return item


def _preview(client: TestClient, dataset: dict[str, Any], model: str, **body: Any) -> Any:
    example = _first_example(client, dataset)
    payload = {"example_id": example["id"], "base_model": model, "max_seq_length": 256, **body}
    return client.post(f"/api/datasets/{dataset['id']}/preview", json=payload)


class TestListTemplates:
    def test_every_template_with_a_description(self, client: TestClient) -> None:
        body = client.get("/api/templates").json()
        assert [t["name"] for t in body["items"]] == ["alpaca", "phi3", "chatml", "model", "plain", "custom"]
        assert body["total"] == 6
        assert all(t["description"] for t in body["items"])


class TestPreview:
    def test_alpaca_prompt_masked_answer_and_eos_trained(self, client: TestClient, model: str) -> None:
        dataset = create_dataset(client, count=12)
        example = _first_example(client, dataset)
        response = _preview(client, dataset, model, template="alpaca")
        assert response.status_code == 200, response.text
        body = response.json()

        record = example["record"]
        assert body["text"].startswith("Below is an instruction")
        assert body["text"].endswith(f"### Input:\n{record['input']}\n\n### Response:\n{record['output']}{EOS}")
        assert "".join(t["text"] for t in body["tokens"]) == body["text"]
        trained = [t for t in body["tokens"] if t["trained"]]
        assert "".join(t["text"] for t in trained) == record["output"] + EOS
        assert [t["text"] for t in trained].count(EOS) == 1
        assert all(t["reason"] is None for t in trained)
        assert {t["reason"] for t in body["tokens"] if not t["trained"]} == {"prompt"}
        assert body["tokens"][-1] == {"id": 2, "text": EOS, "trained": True, "reason": None}
        assert body["num_tokens"] == body["num_tokens_before_truncation"] == len(body["tokens"])
        assert body["truncated"] is False

    def test_truncation_and_full_sequence_loss(self, client: TestClient, model: str) -> None:
        dataset = create_dataset(client, count=12)
        full = _preview(client, dataset, model).json()
        cut = _preview(client, dataset, model, max_seq_length=16, completion_only_loss=False).json()

        assert cut["truncated"] is True
        assert (cut["num_tokens"], cut["num_tokens_before_truncation"]) == (16, full["num_tokens"])
        assert [t["reason"] for t in cut["tokens"]] == [None] * 16 + ["truncated"] * (full["num_tokens"] - 16)
        assert [t["id"] for t in cut["tokens"]] == [t["id"] for t in full["tokens"]]

    def test_template_choices(self, client: TestClient, model: str) -> None:
        dataset = _chat_dataset(client)
        chatml = _preview(client, dataset, model).json()  # the dataset's template: ChatML for chats
        assert "".join(t["text"] for t in chatml["tokens"] if t["trained"]) == f"Cold.{EOS}Down.{EOS}"

        # The tiny model carries SmolLM2's chat template: the same as ChatML when the chat has a system turn.
        own = _preview(client, dataset, model, template="model").json()
        assert own["text"] == chatml["text"]

        custom = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
        custom += "{% if add_generation_prompt %}assistant: {% endif %}"
        body = _preview(client, dataset, model, template="custom", custom_template=custom).json()
        assert body["text"].startswith("system: Answer in one word.\nuser: Opposite of hot #")
        # "assistant: " ends on a space that the tokenizer merges into " Cold": that token is trained.
        assert "".join(t["text"] for t in body["tokens"] if t["trained"]) == f" Cold. Down.{EOS}"

    def test_template_errors_name_the_row(self, client: TestClient, model: str) -> None:
        dataset = _chat_dataset(client)
        example = _first_example(client, dataset)
        alpaca = _preview(client, dataset, model, template="alpaca")
        assert alpaca.status_code == 422
        assert alpaca.json()["field"] == "template"
        assert alpaca.json()["detail"].startswith(f"row {example['row_number']}: the Alpaca template takes single-turn")

        unsafe = _preview(client, dataset, model, template="custom", custom_template="{{ messages.__class__ }}")
        assert unsafe.status_code == 422
        assert unsafe.json()["field"] == "custom_template"
        assert "the custom template failed: access to attribute '__class__'" in unsafe.json()["detail"]

    def test_example_of_another_dataset(self, client: TestClient, model: str) -> None:
        first = create_dataset(client, count=12)
        second = create_dataset(client, count=12)
        example = _first_example(client, first)
        body = {"example_id": example["id"], "base_model": model, "max_seq_length": 64}
        assert client.post(f"/api/datasets/{second['id']}/preview", json=body).status_code == 404
        assert client.post("/api/datasets/999999/preview", json=body).status_code == 404

    def test_the_datasets_example_n_by_its_number(self, client: TestClient, model: str) -> None:
        create_dataset(client, count=12)
        second = create_dataset(client, count=12)  # its ids start after the first dataset's
        page = client.get(f"/api/datasets/{second['id']}/examples", params={"limit": 500}).json()["items"]
        assert [e["number"] for e in page] == list(range(1, 13))
        assert page[0]["id"] != 1
        # Filtered lists keep each example's number in the dataset.
        test_rows = client.get(f"/api/datasets/{second['id']}/examples", params={"split": "test"}).json()["items"]
        assert [e["number"] for e in test_rows] == [e["number"] for e in page if e["split"] == "test"]

        body = {"example_number": 3, "base_model": model, "max_seq_length": 256, "template": "alpaca"}
        response = client.post(f"/api/datasets/{second['id']}/preview", json=body)
        assert response.status_code == 200, response.text
        trained = "".join(t["text"] for t in response.json()["tokens"] if t["trained"])
        assert trained == page[2]["record"]["output"] + EOS

        missing = client.post(f"/api/datasets/{second['id']}/preview", json={**body, "example_number": 13})
        assert missing.status_code == 404
        assert missing.json() == {
            **missing.json(),
            "detail": f"dataset {second['id']} has no example 13: its examples are numbered 1 to 12",
            "field": "example_number",
        }
        neither = client.post(f"/api/datasets/{second['id']}/preview", json={"base_model": model})
        assert (neither.status_code, neither.json()["field"]) == (422, "example_number")

    def test_models_without_a_local_tokenizer(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=12)
        bundled = _preview(client, dataset, "smollm2-135m-instruct")  # not converted in the test data dir
        assert bundled.status_code == 409
        assert bundled.json()["detail"].startswith("the base model is not prepared yet")

        assert client.post("/api/models", json={"name_or_path": "someone/some-model"}).status_code == 201
        hub = _preview(client, dataset, "someone/some-model")
        assert hub.status_code == 422
        assert hub.json()["detail"].startswith("token preview needs a local copy of the model")
        assert hub.json()["field"] == "base_model"


@pytest.mark.usefixtures("light_worker")
class TestTokenStats:
    """Counted by a real worker of the light queue; the helper asks again while the answer is 202."""

    def test_lengths_histogram_and_truncated_count(self, client: TestClient, model: str) -> None:
        dataset = create_dataset(client, count=40)
        preview = _preview(client, dataset, model).json()
        response = token_stats(client, dataset["id"], base_model=model, template="alpaca", max_seq_length=64)
        assert response.status_code == 200, response.text
        stats = response.json()
        assert set(stats) == {"status", "num_examples", "max", "mean", "p50", "p95", "num_truncated", "histogram"}
        assert stats["status"] == "ready"
        assert stats["num_examples"] == 40
        assert stats["p50"] <= stats["p95"] <= stats["max"]
        assert min(stats["mean"], preview["num_tokens"]) <= stats["max"]
        edges, counts = stats["histogram"]["edges"], stats["histogram"]["counts"]
        assert len(edges) == len(counts) + 1 and sum(counts) == 40
        assert edges[0] == 0 and edges[-1] > stats["max"]

        # Another max_seq_length is answered from the same count, at once.
        longer = stats["max"]
        none_cut = client.get(
            f"/api/datasets/{dataset['id']}/token-stats",
            params={"base_model": model, "template": "alpaca", "max_seq_length": longer},
        )
        all_cut = client.get(
            f"/api/datasets/{dataset['id']}/token-stats",
            params={"base_model": model, "template": "alpaca", "max_seq_length": 16},
        )
        assert (none_cut.status_code, all_cut.status_code) == (200, 200)
        assert (none_cut.json()["num_truncated"], all_cut.json()["num_truncated"]) == (0, 40)

    def test_thousands_of_examples_without_holding_the_request(self, client: TestClient, model: str) -> None:
        response = upload_dataset(client, _jsonl(alpaca_rows(3000)), name="big")
        dataset = response.json()
        started = time.monotonic()
        first = client.get(f"/api/datasets/{dataset['id']}/token-stats", params={"base_model": model})
        assert time.monotonic() - started < 1
        assert first.status_code == 202
        assert first.json()["status"] == "pending" and first.json()["num_examples"] == 3000

        stats = token_stats(client, dataset["id"], base_model=model).json()
        assert stats["num_examples"] == 3000
        started = time.monotonic()
        again = client.get(
            f"/api/datasets/{dataset['id']}/token-stats", params={"base_model": model, "max_seq_length": 32}
        )
        assert again.status_code == 200
        assert time.monotonic() - started < 1

    def test_template_that_fails_on_a_row(self, client: TestClient, model: str) -> None:
        dataset = _chat_dataset(client)
        response = token_stats(client, dataset["id"], base_model=model, template="plain")
        assert response.status_code == 422
        assert response.json()["detail"].startswith("row 1: the plain template takes single-turn rows")
        assert response.json()["field"] == "template"
        assert len(response.json()["errors"]) == 12


class TestUpdateDataset:
    def test_rename_and_change_template(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=12)
        response = client.patch(f"/api/datasets/{dataset['id']}", json={"name": "renamed", "template": "chatml"})
        assert response.status_code == 200, response.text
        assert (response.json()["name"], response.json()["template"]) == ("renamed", "chatml")
        assert client.get(f"/api/datasets/{dataset['id']}").json()["template"] == "chatml"

    def test_custom_template_validated_on_every_row(self, client: TestClient) -> None:
        rows = alpaca_rows(12)
        rows[6]["input"] = "boom"
        dataset = upload_dataset(client, _jsonl(rows)).json()
        custom = (
            "{% for m in messages %}{% if 'boom' in m.content %}{{ raise_exception('no explosions') }}{% endif %}"
            "{{ m.content }}\n{% endfor %}"
        )
        response = client.patch(
            f"/api/datasets/{dataset['id']}", json={"template": "custom", "custom_template": custom}
        )
        assert response.status_code == 422
        assert response.json()["detail"] == "row 7: the custom template failed: no explosions"
        assert response.json()["field"] == "custom_template"
        assert client.get(f"/api/datasets/{dataset['id']}").json()["template"] == "alpaca"  # nothing changed

        fine = custom.replace("'boom'", "'no such text'")
        saved = client.patch(f"/api/datasets/{dataset['id']}", json={"template": "custom", "custom_template": fine})
        assert saved.status_code == 200, saved.text
        assert saved.json()["template"] == "custom"

    def test_template_that_does_not_fit_the_rows(self, client: TestClient) -> None:
        dataset = _chat_dataset(client)
        response = client.patch(f"/api/datasets/{dataset['id']}", json={"template": "alpaca"})
        assert response.status_code == 422
        assert response.json()["detail"].startswith("row 1: the Alpaca template takes single-turn rows")

        empty = client.patch(f"/api/datasets/{dataset['id']}", json={"template": "custom"})
        assert empty.status_code == 422
        assert empty.json()["field"] == "custom_template"

    @pytest.mark.parametrize(
        ("custom", "problem"),
        [
            (
                "{% for i in range(24000) %}{% for j in range(24000) %}{% endfor %}{% endfor %}",
                "row 1: the custom template ran longer than 2 s on one example",
            ),
            (
                "{% set ns = namespace(s='x') %}{% for i in range(31) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
                "{{ ns.s | length }}",
                "row 1: the custom template needs more than 512 MB of memory",
            ),
        ],
    )
    def test_a_template_that_runs_away_stops_at_its_limit_and_the_api_answers_meanwhile(
        self, client: TestClient, custom: str, problem: str
    ) -> None:
        """The probe's templates: loops with no function call to check the clock at, and a 1 G-character string."""
        dataset = create_dataset(client, count=12)
        answers: list[Any] = []

        def patch() -> None:
            body = {"template": "custom", "custom_template": custom}
            answers.append(client.patch(f"/api/datasets/{dataset['id']}", json=body))

        started = time.monotonic()
        bad = threading.Thread(target=patch)
        bad.start()
        health_checks = 0
        while bad.is_alive():
            asked = time.monotonic()
            assert client.get("/api/health").status_code == 200
            assert time.monotonic() - asked < 1
            health_checks += 1
            time.sleep(0.1)
        bad.join()
        assert time.monotonic() - started < 2 + 3  # the 2 s budget, and the time to start and kill the sandbox
        assert health_checks >= 3
        [response] = answers
        assert response.status_code == 422
        assert response.json()["detail"] == f"{problem}: make it simpler (fewer loops, shorter text)"
        assert response.json()["field"] == "custom_template"

"""Good files of every format and shape, and what the user must say when the columns don't tell."""

import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from tests.backend.test_datasets import FILES, assert_nothing_stored, examples, upload, upload_file
from tests.conftest import Stack
from tests.factories import alpaca_rows, jsonl

GOOD = FILES / "good"


def parquet(table: dict[str, list[Any]]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(table), buffer, row_group_size=5)  # several row groups, several batches
    return buffer.getvalue()


class TestFormats:
    def test_csv_with_bom_crlf_and_quoted_newlines(self, client: TestClient) -> None:
        response = upload_file(client, GOOD / "alpaca_bom_crlf.csv")
        assert response.status_code == 201, response.text
        dataset = response.json()
        assert (dataset["format"], dataset["shape"], dataset["num_rows"]) == ("csv", "alpaca", 13)
        poem = examples(client, dataset["id"], q="roses")
        assert [(e["row_number"], e["record"]["output"]) for e in poem] == [
            (3, "Roses are red,\r\nviolets are blue,\r\nsugar is sweet.")
        ]
        # The row after the three-line field is row 4, not line 6.
        assert 4 in {e["row_number"] for e in examples(client, dataset["id"])}

    def test_tsv(self, client: TestClient) -> None:
        response = upload_file(client, GOOD / "alpaca.tsv")
        assert response.status_code == 201, response.text
        assert (response.json()["format"], response.json()["num_rows"]) == ("tsv", 12)

    def test_tsv_is_recognised_without_its_extension(self, client: TestClient) -> None:
        response = upload(client, (GOOD / "alpaca.tsv").read_bytes(), "export.txt")
        assert response.status_code == 201, response.text
        assert response.json()["format"] == "tsv"

    def test_pretty_printed_json_array(self, client: TestClient) -> None:
        response = upload_file(client, GOOD / "alpaca_pretty.json")
        assert response.status_code == 201, response.text
        assert (response.json()["format"], response.json()["num_rows"]) == ("json", 12)
        assert sorted(e["row_number"] for e in examples(client, response.json()["id"])) == list(range(1, 13))

    def test_jsonl_content_wins_over_a_misleading_extension(self, client: TestClient) -> None:
        response = upload(client, jsonl(alpaca_rows(12)), "data.csv")
        assert response.status_code == 201, response.text
        assert response.json()["format"] == "jsonl"

    def test_parquet(self, client: TestClient) -> None:
        rows = alpaca_rows(12)
        content = parquet({key: [row[key] for row in rows] for key in ("instruction", "input", "output")})
        response = upload(client, content, "data.parquet")
        assert response.status_code == 201, response.text
        assert (response.json()["format"], response.json()["num_rows"]) == ("parquet", 12)
        stored = {e["row_number"]: e["record"] for e in examples(client, response.json()["id"])}
        assert stored[12] == {"shape": "alpaca", **rows[11]}

    def test_parquet_chat_with_a_list_of_structs_and_numeric_labels(self, client: TestClient) -> None:
        messages = [
            [{"role": "user", "content": f"Is {i} even?"}, {"role": "assistant", "content": "yes" if i % 2 else "no"}]
            for i in range(12)
        ]
        content = parquet({"messages": messages, "label": [i % 2 for i in range(12)]})
        response = upload(client, content, "chats.parquet")
        assert response.status_code == 201, response.text
        assert response.json()["shape"] == "chat"
        assert response.json()["label_counts"] == {"0": 6, "1": 6}


class TestShapes:
    def test_multi_turn_chat(self, client: TestClient) -> None:
        response = upload_file(client, GOOD / "chat_multi_turn.jsonl")
        assert response.status_code == 201, response.text
        dataset = response.json()
        assert (dataset["shape"], dataset["template"]) == ("chat", "chatml")
        record = next(e["record"] for e in examples(client, dataset["id"]) if e["row_number"] == 2)
        assert [m["role"] for m in record["messages"]] == ["system", "user", "assistant"] * 1 + [
            "user",
            "assistant",
        ] * 2

    def test_prompt_completion(self, client: TestClient) -> None:
        response = upload_file(client, GOOD / "prompt_completion.jsonl")
        assert response.status_code == 201, response.text
        assert (response.json()["shape"], response.json()["template"]) == ("prompt_completion", "plain")
        record = next(e["record"] for e in examples(client, response.json()["id"]) if e["row_number"] == 3)
        assert record == {"shape": "prompt_completion", "prompt": "2 + 3 =", "completion": " 5"}

    def test_mapped_label_text_csv(self, client: TestClient) -> None:
        mapping = {"instruction": "Text", "output": "Label", "label": "Label"}
        response = upload_file(client, GOOD / "complaints.csv", column_mapping=mapping)
        assert response.status_code == 201, response.text
        dataset = response.json()
        assert (dataset["shape"], dataset["column_mapping"]) == ("alpaca", mapping)
        assert dataset["label_counts"] == {"product defect": 6, "delivery": 4, "billing": 2}
        first = next(e for e in examples(client, dataset["id"]) if e["row_number"] == 1)
        assert first["label"] == "product defect"
        assert first["record"] == {
            "shape": "alpaca",
            "instruction": "Complaint number 1: the order went wrong, again.",
            "input": "",
            "output": "product defect",
        }

    def test_a_partial_mapping_reads_the_other_fields_from_their_own_columns(self, client: TestClient) -> None:
        rows = [{"instruction": f"Task {i}", "response": f"Done {i}"} for i in range(12)]
        response = upload(client, jsonl(rows), column_mapping={"output": "response"})
        assert response.status_code == 201, response.text
        assert response.json()["column_mapping"] == {"instruction": "instruction", "output": "response"}

    def test_shape_override_with_mapping_for_a_chat_column_in_csv(self, client: TestClient) -> None:
        lines = ["conversation,topic"]
        for i in range(12):
            chat = [{"role": "user", "content": f"Hi {i}"}, {"role": "assistant", "content": f"Hello {i}, friend"}]
            lines.append('"' + json.dumps(chat).replace('"', '""') + '",greeting')
        response = upload(
            client, "\n".join(lines).encode(), "chats.csv", shape="chat", column_mapping={"messages": "conversation"}
        )
        assert response.status_code == 201, response.text
        assert response.json()["shape"] == "chat"

    def test_numbers_are_text_and_headers_match_case_insensitively(self, client: TestClient) -> None:
        content = "Instruction,Output\n" + "".join(f"What is {i} + {i}?,{2 * i}\n" for i in range(12))
        response = upload(client, content.encode(), "sums.csv")
        assert response.status_code == 201, response.text
        outputs = {e["record"]["output"] for e in examples(client, response.json()["id"])}
        assert "22" in outputs


class TestColumnMapping:
    def test_undetectable_columns_ask_for_a_mapping_and_list_them(self, client: TestClient, stack: Stack) -> None:
        response = upload_file(client, FILES / "bad" / "no_shape.csv")
        assert response.status_code == 422
        body = response.json()
        assert body["field"] == "column_mapping"
        assert body["columns"] == ["Label", "Text"]
        assert body["detail"].startswith("can't tell which columns hold the instruction and the answer")
        assert_nothing_stored(stack)

    def test_a_mapping_to_a_column_the_file_lacks(self, client: TestClient, stack: Stack) -> None:
        response = upload_file(
            client, FILES / "bad" / "no_shape.csv", column_mapping={"instruction": "Txt", "output": "Label"}
        )
        assert response.status_code == 422
        body = response.json()
        assert (body["field"], body["columns"]) == ("column_mapping", ["Label", "Text"])
        assert body["detail"] == "column_mapping maps 'instruction' to 'Txt', but the file has no such column"
        assert_nothing_stored(stack)

    def test_a_shape_whose_fields_are_missing(self, client: TestClient) -> None:
        response = upload(client, jsonl(alpaca_rows(12)), shape="chat")
        assert response.status_code == 422
        assert response.json()["detail"].startswith("shape 'chat' needs a column for 'messages'")
        assert response.json()["columns"] == ["instruction", "input", "output"]

    def test_malformed_mappings_name_the_field(self, client: TestClient, stack: Stack) -> None:
        cases = {
            "{not json": "column_mapping is not valid JSON (",
            "[1, 2]": "column_mapping must be a JSON object",
            '{"text": "Text"}': "column_mapping: 'text' is not a field.",
            '{"instruction": "Text", "completion": "Label"}': "column_mapping: it mixes the fields of different shapes",
            '{"instruction": ""}': "column_mapping: instruction: String should have at least 1 character",
        }
        for raw, expected in cases.items():
            response = upload(client, jsonl(alpaca_rows(12)), column_mapping=raw)
            assert response.status_code == 422, raw
            assert response.json()["field"] == "column_mapping"
            assert response.json()["detail"].startswith(expected), (raw, response.json()["detail"])
        assert_nothing_stored(stack)

    def test_a_mapping_that_contradicts_the_shape(self, client: TestClient) -> None:
        response = upload(client, jsonl(alpaca_rows(12)), shape="chat", column_mapping={"prompt": "instruction"})
        assert response.status_code == 422
        assert (
            response.json()["detail"] == "column_mapping names fields of shape 'prompt_completion' but shape is 'chat'"
        )


class TestTemplates:
    def test_a_template_that_cannot_render_the_shape_is_refused(self, client: TestClient, stack: Stack) -> None:
        response = upload_file(client, GOOD / "chat_multi_turn.jsonl", template="alpaca")
        assert response.status_code == 422
        assert response.json()["field"] == "template"
        assert response.json()["detail"].startswith("the alpaca template can't render this data")
        assert_nothing_stored(stack)

    def test_custom_is_set_after_the_upload(self, client: TestClient) -> None:
        response = upload(client, jsonl(alpaca_rows(12)), template="custom")
        assert response.status_code == 422
        assert response.json()["field"] == "template"

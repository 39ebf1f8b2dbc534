from fastapi.testclient import TestClient

from backend.datasets.conversion import PARAPHRASES, LabelledRow, convert

ROWS = [
    LabelledRow(1, "The screen cracked after a day.", "complaint"),
    LabelledRow(2, "Thanks, delivery was quick!", "non-complaint"),
    LabelledRow(3, "Still waiting for my refund.", "complaint"),
    LabelledRow(4, "Love the colour.", "non-complaint"),
]


class TestConvert:
    def test_each_row_states_the_task_and_lists_every_label(self) -> None:
        examples = convert(ROWS, task="Is the message a complaint?", paraphrases=1, inverted=False)

        assert [e.record.input for e in examples] == [row.text for row in ROWS]
        assert [e.record.output for e in examples] == [row.label for row in ROWS]
        assert examples[0].record.instruction == (
            "Is the message a complaint?\n\nOPTIONS:\n- complaint\n- non-complaint"
        )

    def test_paraphrases_vary_the_instruction_reproducibly(self) -> None:
        rows = [LabelledRow(i, f"text {i}", "a" if i % 2 else "b") for i in range(200)]
        first = convert(rows, task="Pick a or b.", paraphrases=5, inverted=False, seed=7)
        again = convert(rows, task="Pick a or b.", paraphrases=5, inverted=False, seed=7)

        assert first == again
        heads = {e.record.instruction.split("\n\nOPTIONS")[0] for e in first}
        expected = {
            p.split("\n\n{options}")[0].format(task="Pick a or b.", task_lower="pick a or b.") for p in PARAPHRASES[:5]
        }
        assert heads == expected

    def test_inverted_asks_for_a_text_with_the_label(self) -> None:
        examples = convert(ROWS[:1], task="Is the message a complaint?", paraphrases=1, inverted=True)

        assert len(examples) == 2
        inverted = examples[1]
        assert inverted.inverted
        assert '"complaint"' in inverted.record.instruction
        assert inverted.record.output == "The screen cracked after a day."
        assert inverted.record.input == ""


def _complaints_csv(count: int = 30) -> bytes:
    lines = ["Label,Text"]
    for index in range(count):
        label = "complaint" if index % 3 == 0 else "non-complaint"
        lines.append(f'{label},"Message {index}: the parcel, it arrived"')
    return ("\r\n".join(lines) + "\r\n").encode()


FORM = {"label_column": "Label", "text_column": "Text", "task": "Is the message a complaint?", "paraphrases": "3"}


class TestConvertEndpoints:
    def test_preview_shows_examples_and_labels_without_storing(self, client: TestClient) -> None:
        response = client.post(
            "/api/datasets/convert/preview", files={"file": ("complaints.csv", _complaints_csv())}, data=FORM
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["labels"] == ["complaint", "non-complaint"]
        assert body["num_examples"] == 30
        assert len(body["items"]) == 20
        assert body["items"][0]["input"] == "Message 0: the parcel, it arrived"
        assert "OPTIONS:\n- complaint\n- non-complaint" in body["items"][0]["instruction"]
        assert client.get("/api/datasets").json()["total"] == 0

    def test_convert_stores_a_labelled_instruction_dataset(self, client: TestClient) -> None:
        response = client.post(
            "/api/datasets/convert",
            files={"file": ("complaints.csv", _complaints_csv())},
            data={**FORM, "inverted": "true", "name": "complaints"},
        )

        assert response.status_code == 201, response.text
        dataset = response.json()
        assert dataset["name"] == "complaints"
        assert dataset["num_rows"] == 60  # each row, and its inverted task
        assert dataset["label_counts"] == {"complaint": 20, "non-complaint": 40}
        assert dataset["shape"] == "alpaca"

    def test_missing_column_names_the_columns_there_are(self, client: TestClient) -> None:
        response = client.post(
            "/api/datasets/convert/preview",
            files={"file": ("complaints.csv", _complaints_csv())},
            data={**FORM, "label_column": "Category"},
        )

        assert response.status_code == 422
        assert response.json()["field"] == "label_column"
        assert response.json()["columns"] == ["Label", "Text"]

    def test_empty_cells_are_reported_by_row(self, client: TestClient) -> None:
        content = _complaints_csv().replace(b'complaint,"Message 3', b',"Message 3')
        response = client.post("/api/datasets/convert/preview", files={"file": ("c.csv", content)}, data=FORM)

        assert response.status_code == 422
        assert response.json()["errors"] == ["row 4: empty 'Label'"]

    def test_a_single_label_is_not_a_classification(self, client: TestClient) -> None:
        content = b"Label,Text\n" + b"".join(b"spam,hello %d\n" % i for i in range(12))
        response = client.post("/api/datasets/convert/preview", files={"file": ("c.csv", content)}, data=FORM)

        assert response.status_code == 422
        assert "at least 2" in response.json()["detail"]

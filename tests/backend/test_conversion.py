from fastapi.testclient import TestClient

from backend.datasets.conversion import PARAPHRASES, LabelledRow, convert, split_groups
from backend.datasets.splitting import assign_group_splits
from backend.models import Split
from tests.backend.test_datasets import post_chunks

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


REVIEW_WORDS = [
    "sturdy",
    "flimsy",
    "bright",
    "dull",
    "quick",
    "slow",
    "cheap",
    "pricey",
    "quiet",
    "noisy",
    "warm",
    "cold",
    "soft",
    "rough",
    "light",
    "heavy",
]


def _reviews_csv(count: int = 30) -> bytes:
    lines = ["Label,Text"]
    for index in range(count):
        words = [REVIEW_WORDS[(index * 7 + k * 3) % len(REVIEW_WORDS)] for k in range(4)]
        label = "positive" if index % 2 else "negative"
        lines.append(f'{label},"Review {index}: {" and ".join(words)}, would{" not" * (index % 2)} buy again {index}"')
    return ("\n".join(lines) + "\n").encode()

    def test_an_upload_over_the_limit_is_refused_before_it_is_read(self, client: TestClient) -> None:
        from backend.core.config import get_settings

        get_settings().max_upload_bytes = 1000
        for path in ("/api/datasets/convert/preview", "/api/datasets/convert"):
            response = post_chunks(client, path, 1000, declare_length=True)
            assert (response.status_code, response.chunks_read) == (413, 0)
            response = post_chunks(client, path, 1000, declare_length=False)
            assert (response.status_code, response.chunks_read) == (413, 2)


class TestConvertSplit:
    def test_the_examples_made_from_one_row_stay_in_one_split(self, client: TestClient) -> None:
        response = client.post(
            "/api/datasets/convert",
            files={"file": ("reviews.csv", _reviews_csv())},
            data={**FORM, "inverted": "true", "name": "reviews"},
        )

        assert response.status_code == 201, response.text
        dataset = response.json()
        assert (dataset["num_rows"], dataset["num_train"], dataset["num_validation"], dataset["num_test"]) == (
            60,
            52,
            2,
            6,
        )  # 85 / 5 / 10 of 60 is 51 / 3 / 6: whole pairs, never more than a split's share
        items = client.get(f"/api/datasets/{dataset['id']}/examples", params={"limit": 500}).json()["items"]
        splits_of_text: dict[str, set[str]] = {}
        for item in items:
            record = item["record"]
            text = record["input"] or record["output"]  # classified, or written by the inverted task
            splits_of_text.setdefault(text, set()).add(item["split"])
        assert len(splits_of_text) == 30
        assert all(len(splits) == 1 for splits in splits_of_text.values()), splits_of_text
        assert "leakage" not in {warning["code"] for warning in dataset["warnings"]}

    def test_repeated_texts_share_a_split(self) -> None:
        rows = [
            LabelledRow(i, f"Text number {i % 10} is about the parcel and the refund", "a" if i % 2 else "b")
            for i in range(40)
        ]
        examples = convert(rows, task="Pick a or b.", paraphrases=3, inverted=True)
        groups = split_groups(rows, examples)
        assert len(set(groups)) == 10
        assert all(groups[2 * i] == groups[2 * i + 1] == groups[2 * (i % 10)] for i in range(40))


def test_a_converted_datasets_leakage_says_what_to_do_on_the_convert_page() -> None:
    from backend.datasets.conversion import LEAKAGE_FIX
    from backend.datasets.parsing import ParsedRow
    from backend.datasets.warnings import WarningCollector
    from domain.records import AlpacaRecord

    collector = WarningCollector()
    for number, answer in ((1, "yes"), (2, "no")):  # one text twice in the table, with two labels
        record = AlpacaRecord(instruction="Is it a complaint?", input="Late.", output=answer)
        collector.add(ParsedRow(number, record), None)
    (leakage,) = collector.finish([Split.TRAIN, Split.TEST], fix=LEAKAGE_FIX)
    assert leakage.action == "convert_again"
    assert leakage.message.endswith("remove the repeated texts from the table and convert again.")
    assert "upload" not in leakage.message.lower()


class TestGroupSplit:
    def test_groups_are_drawn_whole_with_the_ratios_kept(self) -> None:
        groups = [index // 2 for index in range(200)]
        splits = assign_group_splits(groups, seed=42)
        assert splits == assign_group_splits(groups, seed=42)
        assert splits != assign_group_splits(groups, seed=43)
        assert all(splits[2 * i] == splits[2 * i + 1] for i in range(100))
        assert (splits.count(Split.TRAIN), splits.count(Split.VALIDATION), splits.count(Split.TEST)) == (170, 10, 20)

    def test_groups_larger_than_a_share_still_fill_every_split(self) -> None:
        groups = [index // 5 for index in range(20)]  # 4 groups of 5; shares of 1 and 2 rows
        splits = assign_group_splits(groups, seed=1)
        assert {split: splits.count(split) for split in Split} == {Split.TRAIN: 10, Split.VALIDATION: 5, Split.TEST: 5}

    def test_one_row_per_group_is_not_the_row_split(self) -> None:
        # Not promised equal to assign_splits: uploads without groups keep using assign_splits.
        splits = assign_group_splits(list(range(100)), seed=42)
        assert (splits.count(Split.TRAIN), splits.count(Split.VALIDATION), splits.count(Split.TEST)) == (85, 5, 10)

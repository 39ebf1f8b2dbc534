"""Warnings stored on the dataset: they never refuse an upload, and say what to do."""

from typing import Any

from fastapi.testclient import TestClient

from tests.backend.test_datasets import FILES, examples, upload, upload_file
from tests.factories import alpaca_rows, jsonl


def warnings_by_code(dataset: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {warning["code"]: warning for warning in dataset["warnings"]}


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class TestDuplicates:
    def test_exact_and_near_duplicates_are_counted_with_their_rows(self, client: TestClient) -> None:
        rows = alpaca_rows(12)
        rows += [
            rows[1],  # row 13 repeats row 2
            rows[4],  # row 14 repeats row 5
            {**rows[2], "output": "  SEVEN, #2!  "},  # row 15: row 3 once case/punctuation/spacing are ignored
            {"instruction": "Café — au lait!", "output": "Oui."},  # row 16
            {"instruction": "café au lait", "output": "oui"},  # row 17: near row 16 (Unicode punctuation)
        ]
        dataset = created(upload(client, jsonl(rows)))

        found = warnings_by_code(dataset)
        assert set(found) >= {"duplicates", "near_duplicates"}
        assert (found["duplicates"]["count"], found["duplicates"]["rows"]) == (2, [13, 14])
        assert found["duplicates"]["message"].startswith("2 rows repeat an earlier row exactly.")
        assert (found["near_duplicates"]["count"], found["near_duplicates"]["rows"]) == (2, [15, 17])
        assert "keep one of them" in found["near_duplicates"]["message"]
        # Warnings never drop anything, and are stored with the dataset.
        assert dataset["num_rows"] == 17
        assert client.get(f"/api/datasets/{dataset['id']}").json()["warnings"] == dataset["warnings"]

    def test_clean_data_has_no_warnings(self, client: TestClient) -> None:
        assert created(upload(client, jsonl(alpaca_rows(40))))["warnings"] == []

    def test_only_the_first_20_rows_are_listed(self, client: TestClient) -> None:
        rows = alpaca_rows(12) + alpaca_rows(12) + alpaca_rows(12)
        duplicates = warnings_by_code(created(upload(client, jsonl(rows))))["duplicates"]
        assert duplicates["count"] == 24
        assert duplicates["rows"] == list(range(13, 33))


class TestLeakage:
    def test_a_test_file_prompt_seen_in_train(self, client: TestClient) -> None:
        train = alpaca_rows(12)
        test = [
            {**train[0], "output": "a different answer"},  # same prompt as a training row
            {**train[3], "instruction": train[3]["instruction"].upper()},  # same once normalised
            {"instruction": "Something new.", "output": "fresh"},
        ]
        dataset = created(upload(client, jsonl(train), test=("test.jsonl", jsonl(test))))

        leakage = warnings_by_code(dataset)["leakage"]
        assert (leakage["count"], leakage["rows"]) == (2, [1, 2])
        assert leakage["message"].startswith("2 validation/test examples (0 in validation, 2 in test) have the same")

    def test_repeated_prompts_split_by_ratio(self, client: TestClient) -> None:
        # Every prompt twice, with different answers: some copies land in validation/test, their twin in train.
        rows = [{"instruction": f"Question {i // 2}?", "output": f"Answer {i}"} for i in range(60)]
        dataset = created(upload(client, jsonl(rows)))

        leakage = warnings_by_code(dataset)["leakage"]
        stored = {e["row_number"]: e for e in examples(client, dataset["id"])}
        train_prompts = {e["record"]["instruction"] for e in stored.values() if e["split"] == "train"}
        leaked = [n for n, e in stored.items() if e["split"] != "train" and e["record"]["instruction"] in train_prompts]
        assert leakage["count"] == len(leaked) > 0
        assert leakage["rows"] == sorted(leaked)


class TestGroupSimilar:
    def test_similar_prompts_are_kept_in_one_split_so_nothing_leaks(self, client: TestClient) -> None:
        rows = [{"instruction": f"Question {i // 2}?", "output": f"Answer {i}"} for i in range(60)]
        assert "leakage" in warnings_by_code(created(upload(client, jsonl(rows))))  # as split by rows

        dataset = created(upload(client, jsonl(rows), group_similar="true"))

        assert "leakage" not in warnings_by_code(dataset)
        assert (dataset["num_train"], dataset["num_validation"], dataset["num_test"]) == (52, 2, 6)
        splits: dict[str, set[str]] = {}
        for example in examples(client, dataset["id"]):
            splits.setdefault(example["record"]["instruction"], set()).add(example["split"])
        assert len(splits) == 30 and all(len(s) == 1 for s in splits.values())


class TestSimilarity:
    """Near duplicates and leakage by similarity of 3-word shingles (Jaccard ≥ 0.8), not only by equality."""

    @staticmethod
    def _long_text(seed: int, digit: str = "7") -> str:
        words = [f"w{(seed * 7919 + i * 104729) % 9973}" for i in range(600)]
        words[300] = digit
        text = " ".join(words)
        assert len(text) > 3000
        return text

    def test_a_long_input_one_digit_apart_in_train_and_test_is_leakage(self, client: TestClient) -> None:
        long_input = self._long_text(1)
        train = [*alpaca_rows(12), {"instruction": "Summarise the report.", "input": long_input, "output": "Short."}]
        test = [
            {"instruction": "Summarise the report.", "input": long_input.replace(" 7 ", " 8 "), "output": "Short."},
            {"instruction": "Something new.", "output": "fresh"},
        ]
        dataset = created(upload(client, jsonl(train), test=("test.jsonl", jsonl(test))))

        found = warnings_by_code(dataset)
        assert (found["leakage"]["count"], found["leakage"]["rows"]) == (1, [1])
        assert found["leakage"]["message"].startswith(
            "1 validation/test example (0 in validation, 1 in test) has the same or nearly the same prompt "
            "(at least 80% of its 3-word sequences) as a training example"
        )
        # The fix is offered where the warning is shown: upload again keeping similar prompts together.
        assert found["leakage"]["action"] == "upload_grouped"
        assert "Upload again with 'Keep similar prompts in one split' (group_similar)" in found["leakage"]["message"]

    def test_long_rows_one_digit_apart_are_near_duplicates(self, client: TestClient) -> None:
        long_input = self._long_text(2)
        rows = [
            *alpaca_rows(12),
            {"instruction": "Summarise the report.", "input": long_input, "output": "Short."},
            {"instruction": "Summarise the report.", "input": long_input.replace(" 7 ", " 9 "), "output": "Short."},
        ]
        near = warnings_by_code(created(upload(client, jsonl(rows))))["near_duplicates"]
        assert (near["count"], near["rows"]) == (1, [14])
        assert near["message"].startswith("1 row is nearly the same as an earlier row: at least 80% of their")

    def test_clearly_different_rows_are_not_flagged(self, client: TestClient) -> None:
        # The same long instruction with different short inputs, and long texts of different words.
        instruction = "Classify the sentiment of the review below as positive or negative, with no explanation."
        rows = [
            {"instruction": instruction, "input": f"Review number {i}: {w}", "output": "positive"}
            for i, w in enumerate(["great", "awful", "fine", "superb", "dull", "lovely"] * 3)
        ]
        rows += [
            {"instruction": "Summarise.", "input": self._long_text(seed), "output": f"Summary {seed}."}
            for seed in range(3, 9)
        ]
        dataset = created(upload(client, jsonl(rows)))
        assert not {"near_duplicates", "leakage", "duplicates"} & set(warnings_by_code(dataset))


class TestLabelImbalance:
    def test_a_mapped_label_column_with_a_rare_class(self, client: TestClient) -> None:
        labels = ["spam"] * 30 + ["ham"] * 8 + ["phishing"] * 2
        content = "Label,Text\n" + "".join(f"{label},Message {i}\n" for i, label in enumerate(labels, start=1))
        mapping = {"instruction": "Text", "output": "Label", "label": "Label"}
        dataset = created(upload(client, content.encode(), "messages.csv", column_mapping=mapping))

        assert dataset["label_counts"] == {"spam": 30, "ham": 8, "phishing": 2}
        imbalance = warnings_by_code(dataset)["label_imbalance"]
        assert imbalance["count"] == 10
        assert imbalance["rows"] == list(range(31, 41))
        assert imbalance["message"].startswith("The classes are unbalanced: 'spam' has 30 rows but 'phishing' only 2")

    def test_balanced_enough_classes_have_no_warning(self, client: TestClient) -> None:
        mapping = {"instruction": "Text", "output": "Label", "label": "Label"}
        dataset = created(upload_file(client, FILES / "good" / "complaints.csv", column_mapping=mapping))
        assert dataset["label_counts"] == {"product defect": 6, "delivery": 4, "billing": 2}
        assert dataset["warnings"] == []

    def test_answers_that_look_like_labels(self, client: TestClient) -> None:
        rows = [
            {"instruction": "Is this review positive or negative?", "input": f"Review {i}", "output": answer}
            for i, answer in enumerate(["positive"] * 36 + ["negative"] * 4)
        ]
        dataset = created(upload(client, jsonl(rows)))

        assert dataset["label_counts"] is None  # no label column: counts only in the warning
        imbalance = warnings_by_code(dataset)["label_imbalance"]
        assert imbalance["count"] == 4
        assert imbalance["message"].startswith(
            "The answers, which look like class labels, are unbalanced: 'positive' has 36 rows but 'negative' only 4"
        )

    def test_free_text_answers_are_not_labels(self, client: TestClient) -> None:
        rows = [{"instruction": f"Describe item {i}.", "output": "short" if i < 30 else f"long {i}"} for i in range(40)]
        assert "label_imbalance" not in warnings_by_code(created(upload(client, jsonl(rows))))

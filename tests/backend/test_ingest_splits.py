"""Train/validation/test: the user's ratios and seed, reproducible; or the user's own split files."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.datasets.splitting import SplitRatios, assign_splits, split_counts
from backend.models import Split
from tests.backend.test_datasets import assert_nothing_stored, examples, upload
from tests.conftest import Stack
from tests.factories import alpaca_rows, jsonl


def counts(dataset: dict[str, Any]) -> tuple[int, int, int]:
    return dataset["num_train"], dataset["num_validation"], dataset["num_test"]


def rows_in_test(client: TestClient, dataset_id: int) -> list[int]:
    return sorted(e["row_number"] for e in examples(client, dataset_id, split="test"))


class TestRatios:
    def test_the_users_ratios_are_applied_and_stored(self, client: TestClient) -> None:
        response = upload(client, jsonl(alpaca_rows(100)), train_ratio=0.7, validation_ratio=0.2, test_ratio=0.1)
        assert response.status_code == 201, response.text
        assert counts(response.json()) == (70, 20, 10)
        assert response.json()["split_ratios"] == {"train": 0.7, "validation": 0.2, "test": 0.1}

    def test_a_ratio_of_zero_means_no_rows_in_that_split(self, client: TestClient) -> None:
        response = upload(client, jsonl(alpaca_rows(40)), train_ratio=0.9, validation_ratio=0, test_ratio=0.1)
        assert response.status_code == 201, response.text
        assert counts(response.json()) == (36, 0, 4)
        assert examples(client, response.json()["id"], split="validation") == []

    def test_a_small_dataset_still_gets_one_validation_and_one_test_row(self, client: TestClient) -> None:
        response = upload(client, jsonl(alpaca_rows(10)), train_ratio=0.96, validation_ratio=0.02, test_ratio=0.02)
        assert counts(response.json()) == (8, 1, 1)

    @pytest.mark.parametrize(
        ("ratios", "field", "detail"),
        [
            (
                (0.8, 0.1, 0.2),
                "train_ratio",
                "train_ratio + validation_ratio + test_ratio must be 1, they add up to 1.1",
            ),
            ((1.1, -0.1, 0), "train_ratio", "train_ratio must be between 0 and 1, got 1.1"),
            ((0.9, -0.1, 0.2), "validation_ratio", "validation_ratio must be between 0 and 1, got -0.1"),
            ((0, 0.5, 0.5), "train_ratio", "train_ratio must be above 0: a run needs rows to train on"),
        ],
    )
    def test_unusable_ratios_name_the_field(
        self, client: TestClient, stack: Stack, ratios: tuple[float, float, float], field: str, detail: str
    ) -> None:
        train, validation, test = ratios
        response = upload(
            client, jsonl(alpaca_rows(20)), train_ratio=train, validation_ratio=validation, test_ratio=test
        )
        assert response.status_code == 422
        assert (response.json()["field"], response.json()["detail"]) == (field, detail)
        assert_nothing_stored(stack)

    def test_seed_out_of_range(self, client: TestClient) -> None:
        response = upload(client, jsonl(alpaca_rows(20)), seed=2**40)
        assert (response.status_code, response.json()["field"]) == (422, "seed")


class TestSeed:
    def test_same_seed_same_split_other_seed_other_split(self, client: TestClient) -> None:
        content = jsonl(alpaca_rows(100))
        first = upload(client, content, seed=7).json()
        again = upload(client, content, seed=7).json()
        other = upload(client, content, seed=8).json()

        assert first["split_seed"] == 7
        assert first["split_hash"] == again["split_hash"] != other["split_hash"]
        assert (
            rows_in_test(client, first["id"]) == rows_in_test(client, again["id"]) != rows_in_test(client, other["id"])
        )


class TestSplitFiles:
    def test_validation_and_test_files_make_the_main_file_all_train(self, client: TestClient) -> None:
        validation = [{"instruction": f"Validate {i}", "output": f"v{i}"} for i in range(3)]
        test = [{"instruction": f"Test {i}", "output": f"t{i}"} for i in range(4)]
        response = upload(
            client,
            jsonl(alpaca_rows(12)),
            validation=("val.jsonl", jsonl(validation)),
            test=("test.jsonl", jsonl(test)),
        )
        assert response.status_code == 201, response.text
        dataset = response.json()
        assert counts(dataset) == (12, 3, 4)
        assert (dataset["num_rows"], dataset["split_ratios"]) == (19, None)
        stored = examples(client, dataset["id"], split="validation")
        assert [e["record"]["instruction"] for e in stored] == [row["instruction"] for row in validation]
        assert [e["row_number"] for e in stored] == [1, 2, 3]

    def test_a_test_file_in_another_format_and_validation_by_ratio(self, client: TestClient) -> None:
        test_csv = "instruction,output\n" + "".join(f"Test {i},t{i}\n" for i in range(5))
        response = upload(
            client, jsonl(alpaca_rows(40)), test=("test.csv", test_csv.encode()), validation_ratio=0.1, train_ratio=0.8
        )
        assert response.status_code == 201, response.text
        dataset = response.json()
        assert counts(dataset) == (36, 4, 5)
        assert dataset["split_ratios"] == {"train": 0.9, "validation": 0.1}

    def test_a_split_file_with_other_columns_asks_for_them(self, client: TestClient, stack: Stack) -> None:
        other = "question,answer\n" + "".join(f"Q{i},A{i}\n" for i in range(5))
        response = upload(client, jsonl(alpaca_rows(12)), validation=("val.csv", other.encode()))
        assert response.status_code == 422
        body = response.json()
        assert body["field"] == "column_mapping"
        assert body["columns"] == ["question", "answer"]
        assert body["detail"].startswith("the validation file: shape 'alpaca' needs a column for 'instruction'")
        assert_nothing_stored(stack)

    def test_an_empty_split_file(self, client: TestClient, stack: Stack) -> None:
        response = upload(client, jsonl(alpaca_rows(12)), test=("test.csv", b"instruction,output\n"))
        assert response.status_code == 422
        assert (response.json()["field"], response.json()["detail"]) == (
            "test_file",
            "the test file has a header but no rows",
        )
        assert_nothing_stored(stack)


class TestSplitArithmetic:
    def test_counts(self) -> None:
        assert split_counts(120, 0.05, 0.10) == (102, 6, 12)
        assert split_counts(10, 0.01, 0.01) == (8, 1, 1)
        assert split_counts(10, 0, 0) == (10, 0, 0)
        assert split_counts(10, 0.5, 0.5) == (1, 5, 4)  # train keeps a row

    def test_assignment_is_a_function_of_count_ratios_and_seed(self) -> None:
        splits = assign_splits(50, 3, 0.1, 0.2)
        assert splits == assign_splits(50, 3, 0.1, 0.2)
        assert (splits.count(Split.VALIDATION), splits.count(Split.TEST)) == (5, 10)

    def test_ratios_drawn_from_the_main_file(self) -> None:
        ratios = SplitRatios(0.8, 0.1, 0.1)
        assert ratios.drawn(False, False) == {"train": 0.8, "validation": 0.1, "test": 0.1}
        assert ratios.drawn(True, False) == {"train": 0.9, "test": 0.1}
        assert ratios.drawn(True, True) is None

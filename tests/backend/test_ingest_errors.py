"""A corpus of bad files (tests/backend/files/bad): each is refused with the exact place and reason, storing nothing."""

import io
import json
import time
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from tests.backend.test_datasets import FILES, assert_nothing_stored, examples, upload, upload_file
from tests.conftest import Stack
from tests.factories import alpaca_rows, jsonl

BAD = FILES / "bad"


@dataclass(frozen=True)
class BadRows:
    """Some rows are bad, the rest usable: the user may resend with drop_invalid."""

    errors: list[str]
    usable: int


@dataclass(frozen=True)
class Rejected:
    """The whole file is refused."""

    detail: str
    errors: list[str] = field(default_factory=list)
    prefix: bool = False  # the end of the detail comes from a library (pyarrow)


CORPUS: dict[str, BadRows | Rejected] = {
    # JSONL: one row per line, reported by line
    "invalid_json.jsonl": BadRows(["line 3: invalid JSON (Expecting ',' delimiter at column 41)"], 13),
    "not_an_object.jsonl": BadRows(
        ["line 2: expected a JSON object, got an array", "line 4: expected a JSON object, got a string"], 12
    ),
    "missing_output.jsonl": BadRows(["line 17: missing 'output'"], 19),
    "empty_output.jsonl": BadRows(["line 5: empty 'output'"], 13),
    "output_not_text.jsonl": BadRows(["line 4: 'output' must be a string, got an object"], 13),
    "too_deep.jsonl": BadRows(["line 6: nested more than 20 levels deep"], 13),
    "chat_bad_role.jsonl": BadRows(['line 9: messages[2].role must be one of system/user/assistant (got "human")'], 13),
    "chat_no_assistant.jsonl": BadRows(
        ["line 3: no assistant turn: a chat needs at least one 'assistant' message to train on"], 13
    ),
    "chat_empty_response.jsonl": BadRows(["line 4: empty response in messages[1].content"], 13),
    "chat_ends_with_user.jsonl": BadRows(
        [
            "line 2: the last message (messages[2]) is from the user, not the assistant: "
            "nothing after it would be trained on"
        ],
        13,
    ),
    "chat_messages_not_list.jsonl": BadRows(
        ["line 7: 'messages' must be a list of {role, content} objects, got a string"], 13
    ),
    "chat_missing_content.jsonl": BadRows(["line 8: messages[0].content is missing"], 13),
    # Tables: data rows counted from 1 after the header, a quoted multi-line field being one row
    "too_many_fields.csv": BadRows(
        ["row 3: 5 fields but the header has 3 columns (quote fields that contain the delimiter)"], 12
    ),
    "empty_output_after_multiline.csv": BadRows(["row 5: empty 'output'"], 13),
    "missing_cell.tsv": BadRows(["row 7: 2 fields but the header has 3 columns"], 12),
    "array_item_not_object.json": BadRows(["row 3: expected a JSON object, got a number"], 12),
    # Whole files
    "broken_array.json": Rejected("line 9: invalid JSON (Expecting ',' delimiter at column 5)"),
    "pretty_object.json": Rejected(
        "line 1: the file is one pretty-printed JSON object; upload JSONL (one object per line) "
        "or a JSON array of objects"
    ),
    "not_utf8_at_line_13.jsonl": Rejected(
        "line 13: not UTF-8 text (byte 0xe9 at column 21); save the file as UTF-8 and upload again"
    ),
    "binary.jsonl": Rejected("the file is binary (it contains NUL bytes): upload JSONL, JSON, CSV, TSV or Parquet"),
    "workbook.csv": Rejected("the file is a ZIP archive (an Excel workbook is one): export the sheet as CSV"),
    "utf16.csv": Rejected("the file is UTF-16 text: save it as UTF-8"),
    "empty.jsonl": Rejected("the file is empty"),
    "blank_lines.jsonl": Rejected("the file is empty"),
    "damaged.parquet": Rejected("the file is not readable Parquet (", prefix=True),
    "unclosed_quote.csv": Rejected(
        "row 13 (from line 14): malformed CSV (unexpected end of data): a quoted field is never closed"
    ),
    "duplicate_column.csv": Rejected("the header names the column 'output' twice; column names must be unique"),
    "header_only.csv": Rejected("the file has a header but no rows"),
    "too_few_rows.jsonl": Rejected(
        "only 5 usable examples; at least 10 are needed to split into train, validation and test"
    ),
    "no_object_at_all.jsonl": Rejected(
        "none of the 12 rows in the file is usable: fix them and upload again",
        [f"line {n}: invalid JSON (Expecting value at column 1)" for n in range(1, 13)],
    ),
    "all_rows_bad.jsonl": Rejected(
        "none of the 12 rows in the file is usable: fix them and upload again",
        [f"line {n}: empty 'output'" for n in range(1, 13)],
    ),
}


def test_the_corpus_is_complete() -> None:
    assert sorted(CORPUS) == sorted(p.name for p in BAD.iterdir() if p.name != "no_shape.csv")


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_bad_file_is_refused_with_its_place_and_nothing_is_stored(client: TestClient, stack: Stack, name: str) -> None:
    response = upload_file(client, BAD / name)

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == "file"
    assert body["columns"] is None
    expected = CORPUS[name]
    if isinstance(expected, BadRows):
        bad = len(expected.errors)
        assert body["errors"] == expected.errors
        assert (body["bad_rows"], body["usable_rows"]) == (bad, expected.usable)
        rows = "row" if bad == 1 else "rows"
        assert body["detail"] == (
            f"{bad} invalid {rows} in the file: fix them and upload again, or upload with drop_invalid to keep "
            f"the {expected.usable} good ones"
        )
    else:
        assert body["detail"].startswith(expected.detail) if expected.prefix else body["detail"] == expected.detail
        assert body["errors"] == expected.errors
        assert (body["bad_rows"], body["usable_rows"]) == (None, None)
    assert_nothing_stored(stack)


# One per format: dropping works the same for every kind of bad row.
DROPPABLE = (
    "invalid_json.jsonl",
    "chat_bad_role.jsonl",
    "empty_output_after_multiline.csv",
    "missing_cell.tsv",
    "array_item_not_object.json",
)


@pytest.mark.parametrize("name", DROPPABLE)
def test_dropping_the_bad_rows_keeps_the_good_ones(client: TestClient, name: str) -> None:
    expected = CORPUS[name]
    assert isinstance(expected, BadRows)

    response = upload_file(client, BAD / name, drop_invalid=True)

    assert response.status_code == 201, response.text
    dataset = response.json()
    assert (dataset["num_rows"], dataset["num_dropped"]) == (expected.usable, len(expected.errors))
    stored = {e["row_number"] for e in examples(client, dataset["id"])}
    bad = {int(error.split(":")[0].split()[1]) for error in expected.errors}
    assert len(stored) == expected.usable and not stored & bad


class TestGeneratedBadFiles:
    """Bad files too big or too odd to keep in the corpus."""

    def test_a_line_over_the_limit_is_a_bad_row_read_without_holding_it(self, client: TestClient, stack: Stack) -> None:
        rows = jsonl(alpaca_rows(12)).splitlines(keepends=True)
        huge = json.dumps({"instruction": "Repeat.", "output": "x" * (1024 * 1024 + 10)}).encode() + b"\n"
        response = upload(client, b"".join([*rows[:3], huge, *rows[3:]]))
        assert response.status_code == 422
        assert response.json()["errors"] == ["line 4: longer than the 1 MB limit for one line"]
        assert (response.json()["bad_rows"], response.json()["usable_rows"]) == (1, 12)
        assert_nothing_stored(stack)

    def test_nesting_deep_enough_to_break_the_json_parser_is_a_bad_row(self, client: TestClient, stack: Stack) -> None:
        deep = b'{"instruction": "x", "output": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
        response = upload(client, deep + jsonl(alpaca_rows(12)))
        assert response.status_code == 422
        assert response.json()["errors"] == ["line 1: nested more than 20 levels deep"]
        assert_nothing_stored(stack)

    def test_nul_bytes_after_the_start_are_a_bad_line(self, client: TestClient, stack: Stack) -> None:
        rows = jsonl(alpaca_rows(800))  # more than the 64 KB sniffed for binary data
        response = upload(client, rows + b'{"instruction": "x\x00", "output": "y"}\n')
        assert response.status_code == 422
        assert response.json()["errors"] == ["line 801: contains NUL bytes (binary data)"]
        assert_nothing_stored(stack)

    def test_escapes_no_database_can_store_are_bad_rows(self, client: TestClient, stack: Stack) -> None:
        # No NUL byte in the file, but one in the text (PostgreSQL refuses it); half a surrogate pair (UTF-8 can't).
        rows = jsonl(alpaca_rows(12)) + (
            b'{"instruction": "Say hi", "output": "a\\u0000b"}\n{"instruction": "Say \\ud83d", "output": "hi"}\n'
        )
        response = upload(client, rows)
        assert response.json()["errors"] == [
            "line 13: 'output' contains a NUL character (\\u0000)",
            "line 14: 'instruction' contains an unpaired surrogate (\\ud83d)",
        ]
        assert_nothing_stored(stack)
        assert upload(client, rows, drop_invalid=True).json()["num_rows"] == 12

    def test_every_bad_row_is_counted_but_only_20_are_listed(self, client: TestClient, stack: Stack) -> None:
        rows = [*alpaca_rows(15), *({"instruction": f"Task {i}"} for i in range(30))]
        response = upload(client, jsonl(rows))
        body = response.json()
        assert (body["bad_rows"], body["usable_rows"]) == (30, 15)
        assert body["errors"] == [f"line {n}: missing 'output'" for n in range(16, 36)]
        assert body["detail"].startswith("30 invalid rows in the file (the first 20 are listed): ")
        assert_nothing_stored(stack)

    def test_too_few_good_rows_to_drop_the_bad_ones(self, client: TestClient, stack: Stack) -> None:
        rows = [*alpaca_rows(6), {"instruction": "x"}, {"instruction": "y"}]
        for drop in (False, True):
            body = upload(client, jsonl(rows), drop_invalid=drop).json()
            assert body["detail"] == (
                "2 invalid rows, and only 6 usable examples; at least 10 are needed to split into train, "
                "validation and test"
            )
            # No bad_rows/usable_rows: resending with drop_invalid would not help.
            assert (body["bad_rows"], body["usable_rows"]) == (None, None)
            assert body["errors"] == ["line 7: missing 'output'", "line 8: missing 'output'"]
        assert_nothing_stored(stack)

    def test_a_bad_validation_file_is_named_and_nothing_is_stored(self, client: TestClient, stack: Stack) -> None:
        validation = jsonl([*alpaca_rows(3), {"instruction": "x", "output": ""}])
        response = upload(client, jsonl(alpaca_rows(12)), validation=("val.jsonl", validation))
        assert response.status_code == 422
        body = response.json()
        assert body["field"] == "validation_file"
        assert body["errors"] == ["line 4: empty 'output'"]
        assert (body["bad_rows"], body["usable_rows"]) == (1, 3)
        assert_nothing_stored(stack)

    def test_a_json_array_item_over_the_limit(self, client: TestClient, stack: Stack) -> None:
        from backend.core.config import get_settings

        get_settings().max_line_bytes = 1000
        items = [*alpaca_rows(5), {"instruction": "Long", "output": "y" * 2000}, *alpaca_rows(7)]
        response = upload(client, json.dumps(items).encode(), "data.json")
        assert response.json()["errors"] == ["row 6: longer than the 1,000-byte limit for one item"]
        assert_nothing_stored(stack)

    def test_a_plain_text_file_is_refused_naming_the_accepted_formats(self, client: TestClient, stack: Stack) -> None:
        notes = "".join(f"Remember to water the plants on day {i}\n" for i in range(20)).encode()
        response = upload(client, notes, "notes.txt")
        assert response.status_code == 422
        body = response.json()
        assert body["field"] == "file"
        assert body["detail"] == (
            "a .txt file is not in a format the studio reads (its first line is neither JSON nor a header with "
            "commas or tabs): upload JSONL (.jsonl), a JSON array (.json), CSV (.csv), TSV (.tsv) or Parquet "
            "(.parquet)"
        )
        assert_nothing_stored(stack)

    def test_a_json_message_ending_in_at_is_not_doubled(self, client: TestClient, stack: Stack) -> None:
        rows = jsonl(alpaca_rows(12)) + b'{"instruction": "Say hi", "output": "unterminated}\n'
        body = upload(client, rows).json()
        assert body["errors"] == ["line 13: invalid JSON (Invalid control character at column 51)"]
        assert_nothing_stored(stack)

    def test_one_bad_row_and_one_usable_example_are_worded_in_the_singular(
        self, client: TestClient, stack: Stack
    ) -> None:
        body = upload(client, jsonl([*alpaca_rows(1), {"instruction": "x"}])).json()
        assert body["detail"] == (
            "1 invalid row, and only 1 usable example; at least 10 are needed to split into train, validation and test"
        )
        body = upload(client, jsonl(alpaca_rows(1))).json()
        assert body["detail"] == (
            "only 1 usable example; at least 10 are needed to split into train, validation and test"
        )
        assert_nothing_stored(stack)


def _parquet(columns: dict[str, list[str]], **options: Any) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer, **options)
    return buffer.getvalue()


class TestUploadLimits:
    """What the security probe sent: files small on disk that are huge once read, or slow to read."""

    def test_a_parquet_bomb_is_refused_row_by_row_and_nothing_is_stored(self, client: TestClient, stack: Stack) -> None:
        # 2 MB strings that zstd squeezes to almost nothing: the probe's 772-byte file held 200 of them (400 MB).
        outputs = [f"{i} " + "x" * (2 * 1024 * 1024) for i in range(20)]
        bomb = _parquet({"instruction": ["Repeat."] * 20, "output": outputs}, compression="zstd")
        assert len(bomb) < 10_000
        response = upload(client, bomb, "bomb.parquet")
        assert response.status_code == 422
        body = response.json()
        assert body["detail"] == "none of the 20 rows in the file is usable: fix them and upload again"
        assert body["field"] == "file"
        assert body["errors"][0] == (
            "row 1: 2.0 MB of data, over the 1 MB limit for one row ('output' holds 2.0 MB): shorten it, "
            "or upload with drop_invalid to leave it out"
        )
        assert_nothing_stored(stack)

    def test_parquet_rows_over_the_limit_can_be_dropped(self, client: TestClient) -> None:
        rows = alpaca_rows(12)
        outputs = [row["output"] for row in rows]
        outputs[4] = "x" * (1024 * 1024 + 1)
        content = _parquet({"instruction": [row["instruction"] for row in rows], "output": outputs})
        response = upload(client, content, "data.parquet", drop_invalid=True)
        assert response.status_code == 201, response.text
        assert (response.json()["num_rows"], response.json()["num_dropped"]) == (11, 1)

    def test_parquet_declaring_more_data_than_the_cap(self, client: TestClient, stack: Stack) -> None:
        from backend.core.config import get_settings

        get_settings().max_decoded_bytes = 100_000
        notes = [f"{i} " + "n" * 10_000 for i in range(12)]
        content = _parquet({**_alpaca_columns(12), "notes": notes}, compression="zstd")
        response = upload(client, content, "data.parquet")
        assert response.status_code == 413
        assert response.json()["field"] == "file"
        assert response.json()["detail"].startswith("the Parquet file holds 120,")
        assert response.json()["detail"].endswith(
            " bytes once decompressed, over the 100,000-byte limit for an upload's data: upload it in parts, "
            "or leave out the columns not trained on"
        )
        assert_nothing_stored(stack)

    def test_parquet_whose_data_outgrows_the_cap_as_it_is_read(self, client: TestClient, stack: Stack) -> None:
        from backend.core.config import get_settings

        get_settings().max_decoded_bytes = 100_000
        # One value repeated: dictionary-encoded, the file declares ~10 KB and decodes to 120 KB.
        content = _parquet({**_alpaca_columns(12), "notes": ["n" * 10_000] * 12}, row_group_size=4)
        response = upload(client, content, "data.parquet")
        assert response.status_code == 413
        assert response.json()["detail"] == (
            "the Parquet file holds more than the 100,000-byte limit for an upload's data once decompressed "
            "(reached by row 12): upload it in parts, or leave out the columns not trained on"
        )
        assert_nothing_stored(stack)

    def test_a_csv_header_of_20000_columns_is_refused_at_once(self, client: TestClient, stack: Stack) -> None:
        header = ",".join(["instruction", "output", *(f"c{i}" for i in range(19_998))])
        started = time.monotonic()
        response = upload(client, (header + "\n" + "Say hi,hi\n" * 12).encode(), "wide.csv")
        assert time.monotonic() - started < 3
        assert response.status_code == 422
        assert response.json()["detail"] == (
            "the file has 20,000 columns, more than the 1,000 the studio reads: keep only the columns that hold "
            "the instruction data and upload again"
        )
        assert_nothing_stored(stack)


def _alpaca_columns(count: int) -> dict[str, list[str]]:
    rows = alpaca_rows(count)
    return {key: [row[key] for row in rows] for key in ("instruction", "output")}

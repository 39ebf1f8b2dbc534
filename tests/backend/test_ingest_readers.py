"""The readers on their own (no database): streaming, chunk boundaries, positions of errors, format detection."""

import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.datasets.parsing import FileRejected, Limits, ParsedRow, open_table, parsed_rows, resolve_fields
from backend.datasets.parsing.readers import detect_format, nested_too_deep
from tests.factories import alpaca_rows, jsonl


def rows_of(path: Path, limits: Limits | None = None) -> Iterator[ParsedRow | str]:
    limits = limits or Limits()
    table = open_table(path, path.name, limits)
    return parsed_rows(table, resolve_fields(table.columns(), "auto", None), limits)


def read(path: Path, limits: Limits | None = None) -> list[ParsedRow | str]:
    return list(rows_of(path, limits))


class TestJsonArray:
    ROWS = [{**row, "output": row["output"] + " é ✓"} for row in alpaca_rows(25)]  # multi-byte characters

    @pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 4096])
    @pytest.mark.parametrize("indent", [None, 2])
    def test_items_are_the_same_whatever_the_chunk_boundaries(
        self, tmp_path: Path, chunk: int, indent: int | None
    ) -> None:
        path = tmp_path / "data.json"
        path.write_bytes(b"\xef\xbb\xbf" + json.dumps(self.ROWS, indent=indent, ensure_ascii=False).encode())
        rows = read(path, Limits(chunk_bytes=chunk))
        assert [row.record.model_dump()["output"] for row in rows if isinstance(row, ParsedRow)] == [
            r["output"] for r in self.ROWS
        ]
        assert [row.row_number for row in rows if isinstance(row, ParsedRow)] == list(range(1, 26))

    @pytest.mark.parametrize("chunk", [3, 50, 4096])
    def test_a_syntax_error_names_the_line_and_column_json_would(self, tmp_path: Path, chunk: int) -> None:
        text = json.dumps(self.ROWS, indent=2).replace('"output": "seven #2', '"output" "seven #2')
        path = tmp_path / "data.json"
        path.write_text(text)
        with pytest.raises(json.JSONDecodeError) as expected:
            json.loads(text)
        with pytest.raises(FileRejected) as rejected:
            read(path, Limits(chunk_bytes=chunk))
        error = expected.value
        assert str(rejected.value) == f"line {error.lineno}: invalid JSON ({error.msg} at column {error.colno})"

    @pytest.mark.parametrize("chunk", [5, 4096])
    def test_a_minified_file_reports_columns_on_its_one_line(self, tmp_path: Path, chunk: int) -> None:
        text = json.dumps(self.ROWS)[:-1] + ",]"
        path = tmp_path / "data.json"
        path.write_text(text)
        with pytest.raises(FileRejected) as rejected:
            read(path, Limits(chunk_bytes=chunk))
        assert str(rejected.value) == (
            f"line 1: invalid JSON (Illegal trailing comma before end of array at column {len(text)})"
        )

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("[", "line 1: invalid JSON (Expecting value at column 2)"),
            ('[{"a": 1}', "line 1: invalid JSON (the array is not closed with ']' at column 10)"),
            ('[{"a": 1}] []', "line 1: invalid JSON (Extra data after the array at column 12)"),
        ],
    )
    def test_truncated_and_trailing_data(self, tmp_path: Path, text: str, message: str) -> None:
        path = tmp_path / "data.json"
        path.write_text(text)
        with pytest.raises(
            FileRejected, match=r"^" + message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[") + "$"
        ):
            list(open_table(path, "data.json").rows())

    def test_not_utf8_inside_a_chunk_names_the_line(self, tmp_path: Path) -> None:
        path = tmp_path / "data.json"
        text = json.dumps(self.ROWS, indent=2).encode().replace(b"maerts #4", b"ma\xe9rts #4")
        path.write_bytes(text)
        before = text[: text.index(b"\xe9")]
        line, column = before.count(b"\n") + 1, len(before) - before.rfind(b"\n")
        for chunk in (4, 4096):
            with pytest.raises(FileRejected, match=rf"^line {line}: not UTF-8 text \(byte 0xe9 at column {column}\)"):
                read(path, Limits(chunk_bytes=chunk))

    def test_an_empty_array_has_no_rows(self, tmp_path: Path) -> None:
        path = tmp_path / "data.json"
        path.write_text(" [ \n ] \n")
        assert list(open_table(path, "data.json").rows()) == []


class TestStreaming:
    def test_a_huge_line_is_skipped_without_being_held(self, tmp_path: Path) -> None:
        path = tmp_path / "data.jsonl"
        with path.open("wb") as out:
            out.write(jsonl(alpaca_rows(3)))
            out.write(b'{"instruction": "x", "output": "' + b"y" * (20 * 1024 * 1024) + b'"}\n')
            out.write(jsonl(alpaca_rows(3)))
        tracemalloc.start()
        rows = [row if isinstance(row, str) else row.row_number for row in rows_of(path)]
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert rows[3] == "line 4: longer than the 1 MB limit for one line"
        assert len(rows) == 7
        assert peak < 4 * 1024 * 1024  # a 20 MB line, never more than ~1 MB of it at once

    @pytest.mark.parametrize("file_format", ["json", "parquet"])
    def test_json_arrays_and_parquet_stream_in_small_pieces(self, tmp_path: Path, file_format: str) -> None:
        rows = [{**row, "output": row["output"] * 200} for row in alpaca_rows(6000)]  # ~13 MB of text
        path = tmp_path / f"data.{file_format}"
        if file_format == "json":
            path.write_text(json.dumps(rows))
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=500)
        tracemalloc.start()
        count = sum(isinstance(row, ParsedRow) for row in rows_of(path))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert count == 6000
        assert peak < 4 * 1024 * 1024  # a chunk or a 1,000-row batch of Python objects at a time, not 6,000 rows


class TestFormatDetection:
    @pytest.mark.parametrize(
        ("content", "filename", "expected"),
        [
            (b'{"a": 1}\n', "data.txt", "jsonl"),
            (b"\xef\xbb\xbf\n\n  [{}]", None, "json"),
            (b"instruction,output\nx,y\n", None, "csv"),
            (b"instruction\toutput\nx,y\ty\n", None, "tsv"),
            (b"instruction,output\n", "data.tsv", "tsv"),
            (b"not json at all", "data.jsonl", "jsonl"),  # its lines are then reported as invalid JSON
            (b"PAR1....", "data.bin", "parquet"),
        ],
    )
    def test_content_first_extension_as_a_hint(
        self, tmp_path: Path, content: bytes, filename: str | None, expected: str
    ) -> None:
        path = tmp_path / "upload"
        path.write_bytes(content)
        assert detect_format(path, filename) == expected

    def test_a_parquet_name_without_parquet_content(self, tmp_path: Path) -> None:
        path = tmp_path / "upload"
        path.write_bytes(b"instruction,output\n")
        with pytest.raises(FileRejected, match=r"named \.parquet but is not Parquet"):
            detect_format(path, "data.parquet")


def test_nesting_depth_is_measured_without_recursion() -> None:
    value: object = "leaf"
    for _ in range(50_000):
        value = [value]
    assert nested_too_deep(value, 20)
    assert not nested_too_deep({"messages": [{"role": "user", "content": "hi"}]}, 3)
    assert nested_too_deep({"messages": [{"role": "user", "content": ["hi"]}]}, 3)

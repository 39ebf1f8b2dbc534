"""Reading an uploaded instruction file row by row, with errors that name the line and the field."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from worker.training.templates import AlpacaRecord as Example

MAX_REPORTED_ERRORS = 20
MIN_EXAMPLES = 10
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ParsedRow:
    row_number: int
    example: Example


class DatasetFileError(ValueError):
    def __init__(self, summary: str, errors: list[str]) -> None:
        super().__init__(summary)
        self.summary = summary
        self.errors = errors


def _example_from_object(obj: object, where: str) -> Example:
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: expected a JSON object with instruction/input/output, got {type(obj).__name__}")
    fields: dict[str, str] = {}
    for name in ("instruction", "input", "output"):
        value = obj.get(name, "")
        if not isinstance(value, str):
            raise ValueError(f"{where}: '{name}' must be a string, got {type(value).__name__}")
        fields[name] = value
    for name in ("instruction", "output"):
        if name not in obj:
            raise ValueError(f"{where}: missing '{name}'")
        if not fields[name].strip():
            raise ValueError(f"{where}: empty '{name}'")
    return Example(instruction=fields["instruction"], input=fields["input"], output=fields["output"])


def _decode_line(raw: bytes, line_number: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetFileError(
            f"line {line_number}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
            "save the file as UTF-8 and upload again",
            [],
        ) from exc


def _jsonl_rows(path: Path) -> Iterator[ParsedRow | str]:
    # Binary lines decoded one by one: memory stays flat however long the file is, and a bad byte
    # is reported with its line. Universal newlines: a CRLF file parses like an LF one.
    with path.open("rb") as lines:
        for line_number, raw in enumerate(lines, start=1):
            line = _decode_line(raw.removeprefix(UTF8_BOM) if line_number == 1 else raw, line_number)
            if not line.strip():
                continue
            where = f"line {line_number}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield f"{where}: invalid JSON ({exc.msg} at column {exc.colno})"
                continue
            try:
                yield ParsedRow(line_number, _example_from_object(obj, where))
            except ValueError as exc:
                yield str(exc)


def _json_array_rows(path: Path) -> Iterator[ParsedRow | str]:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            items = json.load(handle)
    except UnicodeDecodeError as exc:
        raise DatasetFileError(f"the file is not UTF-8 text (bad byte at offset {exc.start})", []) from exc
    except json.JSONDecodeError as exc:
        yield f"line {exc.lineno}: invalid JSON ({exc.msg} at column {exc.colno})"
        return
    if not isinstance(items, list):
        yield "the file is one JSON value but not an array of examples: use JSONL or a JSON array"
        return
    for index, obj in enumerate(items, start=1):
        try:
            yield ParsedRow(index, _example_from_object(obj, f"row {index}"))
        except ValueError as exc:
            yield str(exc)


def detect_format(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(4096)
    if b"\x00" in head:
        raise DatasetFileError("the file is binary (it contains NUL bytes): upload JSONL or JSON text", [])
    # Only the first non-blank character matters; the readers report bad bytes with their line.
    stripped = head.removeprefix(UTF8_BOM).decode("utf-8", errors="replace").lstrip()
    if not stripped:
        raise DatasetFileError("the file is empty", [])
    return "json" if stripped.startswith("[") else "jsonl"


def parse_examples(path: Path) -> tuple[str, list[ParsedRow]]:
    """Every usable row, or DatasetFileError listing the first problems with their line numbers."""
    file_format = detect_format(path)
    rows: list[ParsedRow] = []
    errors: list[str] = []
    error_count = 0
    reader = _json_array_rows if file_format == "json" else _jsonl_rows
    for item in reader(path):
        if isinstance(item, str):
            error_count += 1
            if len(errors) < MAX_REPORTED_ERRORS:
                errors.append(item)
        else:
            rows.append(item)
    if error_count:
        more = f" (showing the first {len(errors)})" if error_count > len(errors) else ""
        raise DatasetFileError(f"{error_count} invalid rows{more}; fix them and upload again", errors)
    if len(rows) < MIN_EXAMPLES:
        raise DatasetFileError(
            f"only {len(rows)} usable examples; at least {MIN_EXAMPLES} are needed to split into "
            "train, validation and test",
            [],
        )
    return file_format, rows

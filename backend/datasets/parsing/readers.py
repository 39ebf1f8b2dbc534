"""Reading an uploaded file row by row, whatever its format: JSONL, a JSON array, CSV, TSV or Parquet.

Every reader streams: memory holds one line (one batch of rows for Parquet) at a time however long the
file is, and a problem is reported where it is: "line 3" in JSONL (a line is what an editor shows), "row 3" in
tables and JSON arrays (data rows counted from 1, the header excluded).

A problem with one row is yielded as that row's problem, so the caller can count bad rows and go on. A problem
that leaves nothing after it trustworthy (binary data, text that is not UTF-8, a JSON array whose syntax breaks
off, malformed CSV quoting) raises FileRejected.
"""

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from domain.text import json_error

FileFormat = Literal["jsonl", "json", "csv", "tsv", "parquet"]

UTF8_BOM = b"\xef\xbb\xbf"
HEAD_BYTES = 64 * 1024
CHUNK_BYTES = 256 * 1024
PARQUET_BATCH_ROWS = 1000
PARQUET_BATCH_BYTES = 64 * 1024 * 1024
MAX_PEEKED_OBJECTS = 100
# Instruction data needs a handful of columns; a header of tens of thousands is a mistake or an attack, and every
# row of it would be a dict of that many keys.
MAX_COLUMNS = 1000
JSON_EXTENSIONS = (".json", ".jsonl", ".ndjson")
ACCEPTED = "JSONL (.jsonl), a JSON array (.json), CSV (.csv), TSV (.tsv) or Parquet (.parquet)"

# Whole-file formats people drop by mistake, recognised by their first bytes.
FOREIGN_FORMATS = (
    (b"PK\x03\x04", "the file is a ZIP archive (an Excel workbook is one): export the sheet as CSV"),
    (b"\x1f\x8b", "the file is gzip-compressed: decompress it and upload the file inside"),
    (b"\xff\xfe", "the file is UTF-16 text: save it as UTF-8"),
    (b"\xfe\xff", "the file is UTF-16 text: save it as UTF-8"),
    (b"%PDF", "the file is a PDF document: upload JSONL, JSON, CSV, TSV or Parquet"),
)


class FileRejected(ValueError):
    """The whole file is unusable; the message says where and why."""


class DecodedTooLarge(FileRejected):
    """The file holds more data once decompressed than an upload may (Parquet: a small file, gigabytes of text)."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_line_bytes: int = 1024 * 1024
    max_decoded_bytes: int = 2 * 1024 * 1024 * 1024
    max_depth: int = 20  # JSON nesting; a chat row needs 3 (row → messages → message)
    chunk_bytes: int = CHUNK_BYTES  # how much a JSON array is read at a time (small in tests, to cross chunks)


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One row as the file has it: its values by column/key, or what is wrong with it."""

    number: int
    where: str  # "line 3" or "row 3": how messages point at it
    values: dict[str, Any] | None = None
    problem: str | None = None  # the full message, starting with `where`


class Table(Protocol):
    format: FileFormat

    def columns(self) -> list[str]:
        """The header (tables) or the keys of the first objects (JSON): what a column mapping can name."""

    def rows(self) -> Iterator[SourceRow]:
        """Every row from the start; each call reads the file again."""


def _size(limit: int) -> str:
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    if limit % 1024 == 0:
        return f"{limit // 1024} KB"
    return f"{limit:,}-byte"


def _amount(size: int) -> str:
    """A size as a noun: '2.0 MB', '1,500 bytes' (_size is the adjective of a limit: 'the 1 MB limit')."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size:,} bytes"


def _check_column_count(count: int) -> None:
    if count > MAX_COLUMNS:
        raise FileRejected(
            f"the file has {count:,} columns, more than the {MAX_COLUMNS:,} the studio reads: keep only the columns "
            "that hold the instruction data and upload again"
        )


def json_kind(value: object) -> str:
    """A JSON value's type in JSON's words, for messages: 'an array', not 'list'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def nested_too_deep(value: object, limit: int) -> bool:
    """Iterative, so a hostile file cannot exhaust the stack; stops at the first container past the limit."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else ()
        if not children:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _object_row(number: int, where: str, value: object, limits: Limits) -> SourceRow:
    if not isinstance(value, dict):
        return SourceRow(number, where, problem=f"{where}: expected a JSON object, got {json_kind(value)}")
    if nested_too_deep(value, limits.max_depth):
        return SourceRow(number, where, problem=f"{where}: nested more than {limits.max_depth} levels deep")
    return SourceRow(number, where, values=value)


# --- format ---------------------------------------------------------------------------------------------------


def detect_format(path: Path, filename: str | None = None) -> FileFormat:
    """From the content; the file name's extension only breaks ties (CSV or TSV, JSON that does not parse)."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        text = head.removeprefix(UTF8_BOM).lstrip()
        while not text and len(head) == HEAD_BYTES:  # a long run of blank lines before the first row
            head = handle.read(HEAD_BYTES)
            text = head.lstrip()
    if not text:
        raise FileRejected("the file is empty")
    if head.startswith(b"PAR1"):
        return "parquet"
    for magic, message in FOREIGN_FORMATS:
        if head.startswith(magic):
            raise FileRejected(message)
    if b"\x00" in head:
        raise FileRejected("the file is binary (it contains NUL bytes): upload JSONL, JSON, CSV, TSV or Parquet")
    extension = Path(filename or "").suffix.lower()
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{") or extension in JSON_EXTENSIONS:
        return "jsonl"  # a .json(l) file that does not start like JSON: its lines are reported as invalid JSON
    if extension == ".parquet":
        raise FileRejected("the file is named .parquet but is not Parquet (it does not start with PAR1)")
    if extension in (".tsv", ".tab"):
        return "tsv"
    if extension == ".csv":
        return "csv"
    header = text.split(b"\n", 1)[0]
    if b"\t" not in header and b"," not in header:
        # Not JSON, and a first line without a delimiter: plain text (a .txt, a .md), which as CSV would be one
        # column of sentences. Name what is accepted rather than ask for a column mapping.
        named = f"a {extension} file" if extension else "the file"
        raise FileRejected(
            f"{named} is not in a format the studio reads (its first line is neither JSON nor a header with "
            f"commas or tabs): upload {ACCEPTED}"
        )
    return "tsv" if header.count(b"\t") > header.count(b",") else "csv"


def open_table(path: Path, filename: str | None = None, limits: Limits = Limits()) -> Table:
    file_format = detect_format(path, filename)
    if file_format == "jsonl":
        return JsonLinesTable(path, limits)
    if file_format == "json":
        return JsonArrayTable(path, limits)
    if file_format == "parquet":
        return ParquetTable(path, limits)
    return DelimitedTable(path, limits, file_format)


# --- JSON Lines -----------------------------------------------------------------------------------------------


def _binary_lines(path: Path, max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes), or None for a line over the limit: it is skipped without ever being held whole.

    Bytes, not text: a bad byte is then reported with its line, and CRLF needs no special care (JSON and the
    csv module treat the CR as whitespace / a line ending)."""
    with path.open("rb") as handle:
        number = 0
        while raw := handle.readline(max_bytes + 1):
            number += 1
            if len(raw) > max_bytes and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):
                    raw = handle.readline(CHUNK_BYTES)
                yield number, None
            else:
                yield number, raw.removeprefix(UTF8_BOM) if number == 1 else raw


def _decode_line(raw: bytes, number: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            f"line {number}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
            "save the file as UTF-8 and upload again"
        ) from exc


def _peek_columns(rows: Iterator[SourceRow]) -> list[str]:
    columns: dict[str, None] = {}
    seen = 0
    for row in rows:
        if row.values is not None:
            columns.update(dict.fromkeys(row.values))
            seen += 1
            if seen == MAX_PEEKED_OBJECTS:
                break
    return list(columns)


class JsonLinesTable:
    format: FileFormat = "jsonl"

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.limits = limits

    def columns(self) -> list[str]:
        return _peek_columns(self.rows())

    def rows(self) -> Iterator[SourceRow]:
        limit = self.limits.max_line_bytes
        for number, raw in _binary_lines(self.path, limit):
            where = f"line {number}"
            if raw is None:
                yield SourceRow(number, where, problem=f"{where}: longer than the {_size(limit)} limit for one line")
                continue
            if not raw.strip():
                continue  # blank lines (and the trailing newline) are not rows
            if b"\x00" in raw:
                yield SourceRow(number, where, problem=f"{where}: contains NUL bytes (binary data)")
                continue
            line = _decode_line(raw, number)
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                if number == 1 and line.strip() == "{":
                    raise FileRejected(
                        "line 1: the file is one pretty-printed JSON object; upload JSONL (one object per line) "
                        "or a JSON array of objects"
                    ) from exc
                yield SourceRow(number, where, problem=f"{where}: invalid JSON ({json_error(exc.msg, exc.colno)})")
                continue
            except RecursionError:
                yield SourceRow(number, where, problem=f"{where}: nested more than {self.limits.max_depth} levels deep")
                continue
            yield _object_row(number, where, value, self.limits)


# --- JSON array -----------------------------------------------------------------------------------------------


class _TextWindow:
    """The decoded text of a file, read a chunk at a time and consumed from the front.

    Remembers the line and column where the window starts, so a syntax error anywhere in a 500 MB
    single-line JSON file still names its line and column.
    """

    def __init__(self, handle: Any, chunk_bytes: int) -> None:
        self.handle = handle
        self.chunk_bytes = chunk_bytes
        self.text = ""
        self.pos = 0
        self.eof = False
        self.line = 1  # of text[0]
        self.column = 1  # of text[0]
        head = handle.read(len(UTF8_BOM))
        self._pending = b"" if head == UTF8_BOM else head  # bytes not decoded yet (a sequence cut by a chunk)
        self._byte_line = 1  # line and byte column after the last byte read, for decoding errors
        self._byte_column = 1

    def more(self) -> bool:
        """Read the next chunk; False at the end of the file."""
        if self.eof:
            return False
        raw = self.handle.read(self.chunk_bytes)
        data = self._pending + raw
        try:
            decoded, used = codecs.utf_8_decode(data, "strict", not raw)
        except UnicodeDecodeError as exc:
            before = data[: exc.start]
            newline = before.rfind(b"\n")
            line = self._byte_line + before.count(b"\n")
            column = exc.start - newline if newline >= 0 else self._byte_column + exc.start
            raise FileRejected(
                f"line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}); "
                "save the file as UTF-8 and upload again"
            ) from exc
        self._advance_bytes(data[:used])
        self._pending = data[used:]
        self.eof = not raw
        # Drop what was consumed: one copy per chunk, not per row.
        consumed = self.text[: self.pos]
        newlines = consumed.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(consumed) - consumed.rfind("\n")
        else:
            self.column += len(consumed)
        self.text = self.text[self.pos :] + decoded
        self.pos = 0
        return True

    def _advance_bytes(self, data: bytes) -> None:
        newlines = data.count(b"\n")
        if newlines:
            self._byte_line += newlines
            self._byte_column = len(data) - data.rfind(b"\n")
        else:
            self._byte_column += len(data)

    def next_char(self) -> str:
        """The next character that is not whitespace (not consumed), or "" at the end of the file."""
        while True:
            text, pos = self.text, self.pos
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
            self.pos = pos
            if pos < len(text):
                return text[pos]
            if not self.more():
                return ""

    def where(self, index: int) -> tuple[int, int]:
        newlines = self.text.count("\n", 0, index)
        if not newlines:
            return self.line, self.column + index
        return self.line + newlines, index - self.text.rfind("\n", 0, index)

    def invalid(self, index: int, message: str) -> FileRejected:
        line, column = self.where(index)
        return FileRejected(f"line {line}: invalid JSON ({json_error(message, column)})")


class JsonArrayTable:
    """A JSON array of objects, decoded one item at a time (json.load would hold the whole file, twice over
    as text and objects): the window is read a chunk at a time and each item parsed with raw_decode."""

    format: FileFormat = "json"

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.limits = limits

    def columns(self) -> list[str]:
        return _peek_columns(self.rows())

    def rows(self) -> Iterator[SourceRow]:
        decoder = json.JSONDecoder()
        with self.path.open("rb") as handle:
            window = _TextWindow(handle, self.limits.chunk_bytes)
            if window.next_char() != "[":
                raise window.invalid(window.pos, "Expecting '['")
            window.pos += 1
            if window.next_char() == "]":
                window.pos += 1
            else:
                number = 0
                while True:
                    number += 1
                    yield self._item(decoder, window, number)
                    char = window.next_char()
                    if char == "]":
                        window.pos += 1
                        break
                    if char != ",":
                        if not char:
                            raise window.invalid(window.pos, "the array is not closed with ']'")
                        raise window.invalid(window.pos, "Expecting ',' delimiter")
                    window.pos += 1
                    if window.next_char() == "]":
                        raise window.invalid(window.pos, "Illegal trailing comma before end of array")
            if window.next_char():
                raise window.invalid(window.pos, "Extra data after the array")

    def _item(self, decoder: json.JSONDecoder, window: _TextWindow, number: int) -> SourceRow:
        where = f"row {number}"
        limit = self.limits.max_line_bytes
        while True:
            start = window.pos
            try:
                value, end = decoder.raw_decode(window.text, start)
            except RecursionError as exc:
                # The item's end is unknown, so nothing after it can be read either.
                raise FileRejected(f"{where}: nested more than {self.limits.max_depth} levels deep") from exc
            except json.JSONDecodeError as exc:
                # Maybe the item only continues in the next chunk: read on, but never more than the limit
                # for one item, so a broken item near the start does not pull in the whole file.
                if len(window.text) - start <= limit and window.more():
                    continue
                truncated = exc.msg.startswith("Unterminated") or exc.pos >= len(window.text) - 1
                if truncated and not window.eof:
                    line, _ = window.where(start)
                    raise FileRejected(
                        f"{where} (line {line}): longer than the {_size(limit)} limit for one item"
                    ) from exc
                raise window.invalid(exc.pos, exc.msg) from exc
            if end == len(window.text) and window.more():
                continue  # a number or literal may go on in the next chunk
            window.pos = end
            if end - start > limit:
                return SourceRow(number, where, problem=f"{where}: longer than the {_size(limit)} limit for one item")
            return _object_row(number, where, value, self.limits)


# --- CSV and TSV ----------------------------------------------------------------------------------------------


class DelimitedTable:
    """CSV or TSV with a header row, through the csv module: quoted fields may hold delimiters and newlines.

    Rows are counted as the csv module reads records, so a quoted field over three lines is still one row.
    Blank rows are skipped but counted, so "row N" is the spreadsheet's row N + 1 (its header is row 1).
    """

    def __init__(self, path: Path, limits: Limits, file_format: FileFormat) -> None:
        self.path = path
        self.limits = limits
        self.format = file_format
        self.delimiter = "\t" if file_format == "tsv" else ","

    def _lines(self) -> Iterator[str]:
        for number, raw in _binary_lines(self.path, self.limits.max_line_bytes):
            if raw is None:
                raise FileRejected(
                    f"line {number}: longer than the {_size(self.limits.max_line_bytes)} limit for one line"
                )
            if b"\x00" in raw:
                raise FileRejected(f"line {number}: contains NUL bytes (binary data)")
            yield _decode_line(raw, number)

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        # A quoted field may span lines; the limit stops an unclosed quote from swallowing the file.
        # (field_size_limit is process-wide; only this reader uses the csv module in the API.)
        csv.field_size_limit(self.limits.max_line_bytes)
        reader = csv.reader(self._lines(), delimiter=self.delimiter, strict=True)
        number = -1  # the header is row 0
        while True:
            first_line = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                hint = (
                    "a quoted field is never closed"
                    if "end of data" in str(exc)
                    else "a quoted field must end with a quote followed by the delimiter"
                )
                raise FileRejected(
                    f"row {number + 1} (from line {first_line}): malformed {self.format.upper()} ({exc}): {hint}"
                ) from exc
            if number < 0 and not any(cell.strip() for cell in record):
                continue  # blank lines before the header
            number += 1
            yield number, record

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """Every record as the csv module reads it, the first (a header, when the file has one) numbered 0."""
        return self._records()

    def columns(self) -> list[str]:
        for _number, header in self._records():
            return self._header(header)
        return []

    def _header(self, header: list[str]) -> list[str]:
        _check_column_count(len(header))
        columns = [name.strip() or f"column {index}" for index, name in enumerate(header, start=1)]
        seen: set[str] = set()  # a set, not list slices: linear in the number of columns
        for name in columns:
            if name in seen:
                raise FileRejected(f"the header names the column '{name}' twice; column names must be unique")
            seen.add(name)
        return columns

    def rows(self) -> Iterator[SourceRow]:
        records = self._records()
        columns: list[str] | None = None
        for number, record in records:
            if columns is None:
                columns = self._header(record)
                continue
            where = f"row {number}"
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(columns) and not any(cell.strip() for cell in record[len(columns) :]):
                record = record[: len(columns)]  # trailing empty cells, as spreadsheets write them
            if len(record) != len(columns):
                hint = " (quote fields that contain the delimiter)" if len(record) > len(columns) else ""
                yield SourceRow(
                    number,
                    where,
                    problem=f"{where}: {len(record)} fields but the header has {len(columns)} columns{hint}",
                )
                continue
            yield SourceRow(number, where, values=dict(zip(columns, record, strict=True)))


# --- Parquet ---------------------------------------------------------------------------------------------------


def _cell_bytes(array: Any) -> Any:
    """Bytes of each cell of an Arrow array once decoded (numpy int64, one per row), computed by Arrow on the batch:
    no cell becomes a Python object before it is known to fit. Strings count their UTF-8 bytes, lists and structs
    the sum of what they hold, numbers and other fixed-width values their width."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = array.type
    if pa.types.is_dictionary(kind):
        # A dictionary-encoded column repeats its values: each row costs its value's size, however small the file.
        sizes = _cell_bytes(array.dictionary)[array.indices.fill_null(0).to_numpy(zero_copy_only=False)]
        sizes[array.is_null().to_numpy(zero_copy_only=False)] = 0
        return sizes
    texts = (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary, pa.types.is_large_binary)
    if any(is_kind(kind) for is_kind in texts):
        return pc.binary_length(array).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_map(kind):
        parents = pc.list_parent_indices(array).to_numpy(zero_copy_only=False)
        return np.bincount(parents, weights=_cell_bytes(array.flatten()), minlength=len(array)).astype(np.int64)
    if pa.types.is_struct(kind):
        sizes = np.zeros(len(array), dtype=np.int64)
        for child in array.flatten():
            sizes += _cell_bytes(child)
        return sizes
    width = kind.bit_width // 8 if pa.types.is_primitive(kind) and kind.bit_width >= 8 else 8
    return np.full(len(array), width, dtype=np.int64)


TOO_MUCH_DATA_FIX = "upload it in parts, or leave out the columns not trained on"


class ParquetTable:
    """Parquet is compressed: a file of a few hundred bytes can hold gigabytes of text. Sizes are checked as data is
    decoded, never after: the row groups' declared sizes against the cap on decoded data before anything is read,
    then each batch's cells (with Arrow, before they become Python objects) against the limit for one row, and the
    running total against the cap (a file's declared sizes can be wrong)."""

    format: FileFormat = "parquet"

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.limits = limits

    def _file(self) -> Any:
        import pyarrow.parquet as pq  # imported when needed: most uploads are text

        try:
            parquet = pq.ParquetFile(self.path)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for a damaged file
            raise FileRejected(f"the file is not readable Parquet ({exc})") from exc
        _check_column_count(len(parquet.schema_arrow.names))
        metadata = parquet.metadata
        declared = sum(metadata.row_group(index).total_byte_size for index in range(metadata.num_row_groups))
        if declared > self.limits.max_decoded_bytes:
            raise DecodedTooLarge(
                f"the Parquet file holds {_amount(declared)} once decompressed, over the "
                f"{_size(self.limits.max_decoded_bytes)} limit for an upload's data: {TOO_MUCH_DATA_FIX}"
            )
        return parquet

    def columns(self) -> list[str]:
        return list(self._file().schema_arrow.names)

    def rows(self) -> Iterator[SourceRow]:
        import numpy as np
        import pyarrow as pa

        limit = self.limits.max_line_bytes
        # Rows at the limit, a batch at a time: the batch stays around PARQUET_BATCH_BYTES whatever the limit.
        batch_rows = max(1, min(PARQUET_BATCH_ROWS, PARQUET_BATCH_BYTES // limit))
        number = 0
        decoded = 0
        batches = self._file().iter_batches(batch_size=batch_rows)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except Exception as exc:
                raise FileRejected(f"row {number + 1}: the Parquet data cannot be read ({exc})") from exc
            # Bytes by column and row; a row's total is what a JSONL line's length is to the line limit.
            sizes = np.stack([_cell_bytes(column) for column in batch.columns] or [np.zeros(batch.num_rows, int)])
            totals = sizes.sum(axis=0)
            decoded += int(totals.sum())
            if decoded > self.limits.max_decoded_bytes:
                raise DecodedTooLarge(
                    f"the Parquet file holds more than the {_size(self.limits.max_decoded_bytes)} limit for an "
                    f"upload's data once decompressed (reached by row {number + batch.num_rows}): {TOO_MUCH_DATA_FIX}"
                )
            over = totals > limit
            fitting = iter((batch.filter(pa.array(~over)) if over.any() else batch).to_pylist())
            for index in range(batch.num_rows):
                number += 1
                where = f"row {number}"
                if not over[index]:
                    yield _object_row(number, where, next(fitting), self.limits)
                    continue
                largest = int(sizes[:, index].argmax())
                yield SourceRow(
                    number,
                    where,
                    problem=f"{where}: {_amount(int(totals[index]))} of data, over the {_size(limit)} limit for one "
                    f"row ('{batch.schema.names[largest]}' holds {_amount(int(sizes[largest, index]))}): shorten it, "
                    "or upload with drop_invalid to leave it out",
                )

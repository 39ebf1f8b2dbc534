"""Reading uploaded instruction data: formats (readers), fields and validation (records), and the row pipeline.

table = open_table(path, filename, limits)          # FileRejected: empty, binary, ...
fields = resolve_fields(table.columns(), "auto", None)  # MappingError: say which column is which
for row in parsed_rows(table, fields, limits): ...  # ParsedRow, or a problem string "line 3: ..."
"""

from collections.abc import Iterator
from dataclasses import dataclass

from backend.datasets.parsing.readers import (
    DecodedTooLarge,
    FileFormat,
    FileRejected,
    Limits,
    SourceRow,
    Table,
    open_table,
)
from backend.datasets.parsing.records import (
    FIELD_NAMES,
    FieldMap,
    MappingError,
    RowError,
    Shape,
    resolve_fields,
    to_record,
)
from domain.records import AnyRecord

__all__ = [
    "FIELD_NAMES",
    "DecodedTooLarge",
    "FieldMap",
    "FileFormat",
    "FileRejected",
    "Limits",
    "MappingError",
    "ParsedRow",
    "Shape",
    "SourceRow",
    "Table",
    "open_table",
    "parsed_rows",
    "resolve_fields",
]


@dataclass(frozen=True, slots=True)
class ParsedRow:
    row_number: int
    record: AnyRecord
    label: str | None = None


def parsed_rows(table: Table, fields: FieldMap, limits: Limits) -> Iterator[ParsedRow | str]:
    """Every row of the file as a record, or the message saying what is wrong with it and where."""
    for row in table.rows():
        if row.values is None:
            yield row.problem or f"{row.where}: unreadable"
            continue
        try:
            record, label = to_record(row.values, fields, limits.max_depth)
        except RowError as exc:
            yield f"{row.where}: {exc}"
            continue
        yield ParsedRow(row.number, record, label)

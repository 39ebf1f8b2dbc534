"""Integers that name rows, or count them, bounded to what the database can hold.

Ids are INTEGER columns: 32-bit on PostgreSQL, 64-bit on SQLite. A larger number cannot name a row, and the driver
fails on it (an overflow) instead of finding nothing. So every id and every offset in a path, a query or a body is
one of these, and one out of range is refused with 422 wherever it is sent, like any other malformed value: the
schema states the bounds, so a client that reads it never sends one.
"""

from typing import Annotated, Any

from annotated_types import Interval
from fastapi import Query

from backend.core.errors import Invalid

MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER

# A row's id: in a path (/api/runs/{run_id}) or a body (dataset_id).
Id = Annotated[int, Interval(ge=1, le=MAX_ID)]
# A position among rows: after_id cursors (0: from the start) and offsets.
Position = Annotated[int, Interval(ge=0, le=MAX_ID)]


def id_list_query(noun: str, minimum: int, maximum: int) -> Any:
    """A query parameter of `minimum` to `maximum` ids, comma-separated (GET /api/runs/compare?ids=1,2,3): the schema
    states the count as a pattern; parse_id_list refuses anything else, with a message saying what is wrong."""
    return Query(
        max_length=maximum * (len(str(MAX_ID)) + 1),
        json_schema_extra={"pattern": rf"^\d+(,\d+){{{minimum - 1},{maximum - 1}}}$"},
        description=f"{minimum} to {maximum} different {noun} ids, comma-separated: 1,2,3.",
    )


def parse_id_list(
    raw: str, *, name: str, noun: str, minimum: int, maximum: int, verb: str, advice: str = "select fewer or more"
) -> list[int]:
    """`1,2,3` (the query parameter `name`) as `minimum` to `maximum` different ids of `noun`s, to `verb`; `advice`
    says what to do when there are too few or too many."""
    field = f"query.{name}"
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise Invalid(f"{name}: '{raw}' is not a comma-separated list of {noun} ids, e.g. 1,2,3", field=field) from None
    if not minimum <= len(ids) <= maximum:
        raise Invalid(f"{name}: {verb} {minimum} to {maximum} {noun}s (got {len(ids)}); {advice}", field=field)
    repeated = sorted({item for item in ids if ids.count(item) > 1})
    if repeated:
        listed = ", ".join(str(item) for item in repeated)
        raise Invalid(f"{name}: {noun} {listed} is listed more than once; name each {noun} once", field=field)
    out_of_range = [item for item in ids if not 1 <= item <= MAX_ID]
    if out_of_range:
        article = "an" if noun[:1] in "aeiou" else "a"
        raise Invalid(f"{name}: {out_of_range[0]} is not {article} {noun} id (1 to {MAX_ID})", field=field)
    return ids

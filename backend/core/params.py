"""Integers that name rows, or count them, bounded to what the database can hold.

Ids are INTEGER columns: 32-bit on PostgreSQL, 64-bit on SQLite. A larger number cannot name a row, and the driver
fails on it (an overflow) instead of finding nothing. So every id and every offset in a path, a query or a body is
one of these, and one out of range is refused with 422 wherever it is sent, like any other malformed value: the
schema states the bounds, so a client that reads it never sends one.
"""

from typing import Annotated

from annotated_types import Interval

MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER

# A row's id: in a path (/api/runs/{run_id}) or a body (dataset_id).
Id = Annotated[int, Interval(ge=1, le=MAX_ID)]
# A position among rows: after_id cursors (0: from the start) and offsets.
Position = Annotated[int, Interval(ge=0, le=MAX_ID)]

"""run log lines

The persisted run log is called "log line" everywhere (model, schema, API, frontend); "event" names only the live
stream's envelope. The table follows: run_events becomes run_log_lines, its rows kept. Its index and constraints are
renamed too, so they match the naming convention of the models.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 18:30:00.000000

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rename(old: str, new: str) -> None:
    op.rename_table(old, new)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER INDEX ix_{old}_run_id RENAME TO ix_{new}_run_id")
        op.execute(f"ALTER TABLE {new} RENAME CONSTRAINT pk_{old} TO pk_{new}")
        op.execute(f"ALTER TABLE {new} RENAME CONSTRAINT fk_{old}_run_id_runs TO fk_{new}_run_id_runs")
        op.execute(f"ALTER SEQUENCE {old}_id_seq RENAME TO {new}_id_seq")
    else:
        # SQLite cannot rename an index; its constraint names live in the table's DDL and name nothing else.
        op.drop_index(f"ix_{old}_run_id", table_name=new)
        op.create_index(f"ix_{new}_run_id", new, ["run_id"])


def upgrade() -> None:
    _rename("run_events", "run_log_lines")


def downgrade() -> None:
    _rename("run_log_lines", "run_events")

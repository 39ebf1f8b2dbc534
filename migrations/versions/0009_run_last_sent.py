"""run last sent

When a run's task was last sent to the broker, so that a worker's reaper can send a queued run again when no worker
claimed it in time (its task was lost, or never reached the broker). Existing runs get NULL: a run still queued is
then sent once more by the first reaper, which a duplicate task makes harmless (the claim is a conditional update).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 18:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch_op:
        batch_op.add_column(sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch_op:
        batch_op.drop_column("last_sent_at")

"""dataset label counts

Rows per class, computed at upload from the label column. Existing datasets keep null: no upload before
this revision stored labels.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 00:38:31.380239

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch_op:
        batch_op.add_column(sa.Column("label_counts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch_op:
        batch_op.drop_column("label_counts")

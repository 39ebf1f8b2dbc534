"""dataset archive

A dataset that runs trained on cannot be deleted (their configuration and evaluations point at its examples): it is
archived instead, hidden from the datasets list and from new runs until unarchived.

Revision ID: 0021_dataset_archive
Revises: 0020_run_list
Create Date: 2026-12-01 05:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_dataset_archive"
down_revision: str | Sequence[str] | None = "0020_run_list"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch_op:
        batch_op.drop_column("archived_at")

"""token stats answers

Each example's answer tokens beside its tokens: the memory estimate sizes the LM head by the tokens the loss counts.
Counts made before this have none, and the estimate takes every token as scored for them.

Revision ID: 0024_token_stats_answers
Revises: 0023_metric_non_finite
Create Date: 2026-12-02 12:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_token_stats_answers"
down_revision: str | Sequence[str] | None = "0023_metric_non_finite"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("token_stats") as batch_op:
        batch_op.add_column(sa.Column("answer_lengths", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("token_stats") as batch_op:
        batch_op.drop_column("answer_lengths")

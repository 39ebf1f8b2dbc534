"""metric non-finite

A metric's value may be NaN, stored as NULL (see backend.models.MetricFloat): a diverging run's loss is kept.

Revision ID: 0023_metric_non_finite
Revises: 0022_webhooks
Create Date: 2026-12-02 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_metric_non_finite"
down_revision: str | Sequence[str] | None = "0022_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("metrics") as batch_op:
        batch_op.alter_column("value", existing_type=sa.Float(), nullable=True)


def downgrade() -> None:
    # The NaN points have no value an older schema can hold.
    op.execute("DELETE FROM metrics WHERE value IS NULL")
    with op.batch_alter_table("metrics") as batch_op:
        batch_op.alter_column("value", existing_type=sa.Float(), nullable=False)

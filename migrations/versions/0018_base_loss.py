"""unquantised base loss

A quantised method's (qlora, lora_8bit) step-0 validation loss is the re-quantised base model's; the run also keeps the
unquantised base model's, the one the user started from and the improvement is measured against. Null for a method
that does not quantise (the two are the same) and for runs trained before this.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-09 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("unquantised_base_eval_loss", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "unquantised_base_eval_loss")

"""pinned answers

The pinned validation examples' greedy answers at each evaluation step of a run (TrainingConfig.pinned_examples), for
the run page's "Answers during training". Runs trained before this have none.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pinned_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("example_id", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("expected", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["example_id"], ["dataset_examples.id"], name=op.f("fk_pinned_answers_example_id_dataset_examples")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_pinned_answers_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pinned_answers")),
    )
    with op.batch_alter_table("pinned_answers") as batch_op:
        batch_op.create_index(batch_op.f("ix_pinned_answers_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pinned_answers") as batch_op:
        batch_op.drop_index(batch_op.f("ix_pinned_answers_run_id"))
    op.drop_table("pinned_answers")

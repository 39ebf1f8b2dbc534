"""token stats

Every example's token count per (dataset, base model, template), counted by a worker of the light queue
instead of inside an API request. A new table: nothing existing changes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 03:14:45.029106

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "token_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("split_hash", sa.String(length=64), nullable=False),
        sa.Column("base_model", sa.String(length=300), nullable=False),
        sa.Column("tokenizer_version", sa.String(length=100), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("custom_template", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("pending", "ready", "failed", name="tokenstatsstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("lengths", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("error_status", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_token_stats_dataset_id_datasets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_stats")),
        sa.UniqueConstraint("key", name=op.f("uq_token_stats_key")),
    )
    with op.batch_alter_table("token_stats") as batch_op:
        batch_op.create_index(batch_op.f("ix_token_stats_dataset_id"), ["dataset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("token_stats") as batch_op:
        batch_op.drop_index(batch_op.f("ix_token_stats_dataset_id"))
    op.drop_table("token_stats")

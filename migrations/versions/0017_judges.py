"""judges

LLM judges (an OpenAI-compatible endpoint with its encrypted API key, or a registered base model), their judgings of
evaluations (each answer scored, or two evaluations' answers compared pairwise) and, per answer, the judge's
explanation or why it gave no score. Existing evaluations are not judged.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "judges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("base_url", sa.String(length=1000), nullable=True),
        sa.Column("model", sa.String(length=300), nullable=False),
        sa.Column("api_key_encrypted", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_judges_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judges")),
    )
    with op.batch_alter_table("judges") as batch_op:
        batch_op.create_index(batch_op.f("ix_judges_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "judgings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("versus_evaluation_id", sa.Integer(), nullable=True),
        sa.Column("judge_id", sa.Integer(), nullable=True),
        sa.Column("judge_name", sa.String(length=200), nullable=False),
        sa.Column("judge_kind", sa.String(length=20), nullable=False),
        sa.Column("judge_model", sa.String(length=300), nullable=False),
        sa.Column("rubric", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("judged", sa.Integer(), nullable=False),
        sa.Column("not_judged", sa.Integer(), nullable=False),
        sa.Column("a_wins", sa.Integer(), nullable=False),
        sa.Column("b_wins", sa.Integer(), nullable=False),
        sa.Column("ties", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_judgings_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["judge_id"], ["judges.id"], name=op.f("fk_judgings_judge_id_judges"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_judgings_owner_id_users")),
        sa.ForeignKeyConstraint(
            ["versus_evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_judgings_versus_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judgings")),
    )
    with op.batch_alter_table("judgings") as batch_op:
        batch_op.create_index(batch_op.f("ix_judgings_evaluation_id"), ["evaluation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_judgings_judge_id"), ["judge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_judgings_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_judgings_versus_evaluation_id"), ["versus_evaluation_id"], unique=False)

    op.create_table(
        "pair_judgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("judging_id", sa.Integer(), nullable=False),
        sa.Column("example_id", sa.Integer(), nullable=False),
        sa.Column("winner", sa.String(length=20), nullable=True),
        sa.Column("verdict", sa.String(length=10), nullable=True),
        sa.Column("swapped_verdict", sa.String(length=10), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("not_judged_reason", sa.Text(), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["example_id"], ["dataset_examples.id"], name=op.f("fk_pair_judgements_example_id_dataset_examples")
        ),
        sa.ForeignKeyConstraint(
            ["judging_id"], ["judgings.id"], name=op.f("fk_pair_judgements_judging_id_judgings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pair_judgements")),
    )
    with op.batch_alter_table("pair_judgements") as batch_op:
        batch_op.create_index(batch_op.f("ix_pair_judgements_judging_id"), ["judging_id"], unique=False)

    with op.batch_alter_table("evaluation_predictions") as batch_op:
        batch_op.add_column(sa.Column("judge_explanation", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("not_judged_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluation_predictions") as batch_op:
        batch_op.drop_column("not_judged_reason")
        batch_op.drop_column("judge_explanation")
    with op.batch_alter_table("pair_judgements") as batch_op:
        batch_op.drop_index(batch_op.f("ix_pair_judgements_judging_id"))
    op.drop_table("pair_judgements")
    with op.batch_alter_table("judgings") as batch_op:
        batch_op.drop_index(batch_op.f("ix_judgings_versus_evaluation_id"))
        batch_op.drop_index(batch_op.f("ix_judgings_owner_id"))
        batch_op.drop_index(batch_op.f("ix_judgings_judge_id"))
        batch_op.drop_index(batch_op.f("ix_judgings_evaluation_id"))
    op.drop_table("judgings")
    with op.batch_alter_table("judges") as batch_op:
        batch_op.drop_index(batch_op.f("ix_judges_owner_id"))
    op.drop_table("judges")

"""reviews

Reviewers' verdicts on a generation evaluation's answers (one per reviewer and example, versioned for autosave), blind
A/B comparisons between two evaluations with each reviewer's pairs and votes, and a dataset's `derived_from_id` for a
new version made from reviews.

Revision ID: 0019_reviews
Revises: 0018
Create Date: 2026-12-11 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_reviews"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch_op:
        batch_op.add_column(sa.Column("derived_from_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_datasets_derived_from_id_datasets"), "datasets", ["derived_from_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index(batch_op.f("ix_datasets_derived_from_id"), ["derived_from_id"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("example_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("corrected_answer", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], ["evaluations.id"], name=op.f("fk_reviews_evaluation_id_evaluations"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["example_id"], ["dataset_examples.id"], name=op.f("fk_reviews_example_id_dataset_examples")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_reviews_reviewer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("evaluation_id", "example_id", "reviewer_id", name=op.f("uq_reviews_evaluation_id")),
    )
    with op.batch_alter_table("reviews") as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_evaluation_id"), ["evaluation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviews_reviewer_id"), ["reviewer_id"], unique=False)

    op.create_table(
        "comparisons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("evaluation_a_id", sa.Integer(), nullable=False),
        sa.Column("evaluation_b_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_comparisons_owner_id_users")),
        sa.ForeignKeyConstraint(
            ["evaluation_a_id"],
            ["evaluations.id"],
            name=op.f("fk_comparisons_evaluation_a_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_b_id"],
            ["evaluations.id"],
            name=op.f("fk_comparisons_evaluation_b_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comparisons")),
    )
    with op.batch_alter_table("comparisons") as batch_op:
        batch_op.create_index(batch_op.f("ix_comparisons_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comparisons_evaluation_a_id"), ["evaluation_a_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comparisons_evaluation_b_id"), ["evaluation_b_id"], unique=False)

    op.create_table(
        "comparison_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comparison_id", sa.Integer(), nullable=False),
        sa.Column("example_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("a_on_left", sa.Boolean(), nullable=False),
        sa.Column("choice", sa.String(length=20), nullable=True),
        sa.Column("winner", sa.String(length=20), nullable=True),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["comparison_id"],
            ["comparisons.id"],
            name=op.f("fk_comparison_pairs_comparison_id_comparisons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["example_id"], ["dataset_examples.id"], name=op.f("fk_comparison_pairs_example_id_dataset_examples")
        ),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_comparison_pairs_reviewer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comparison_pairs")),
        sa.UniqueConstraint(
            "comparison_id", "example_id", "reviewer_id", name=op.f("uq_comparison_pairs_comparison_id")
        ),
    )
    with op.batch_alter_table("comparison_pairs") as batch_op:
        batch_op.create_index(batch_op.f("ix_comparison_pairs_comparison_id"), ["comparison_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comparison_pairs_reviewer_id"), ["reviewer_id"], unique=False)


def downgrade() -> None:
    op.drop_table("comparison_pairs")
    op.drop_table("comparisons")
    op.drop_table("reviews")
    with op.batch_alter_table("datasets") as batch_op:
        batch_op.drop_index(batch_op.f("ix_datasets_derived_from_id"))
        batch_op.drop_constraint(batch_op.f("fk_datasets_derived_from_id_datasets"), type_="foreignkey")
        batch_op.drop_column("derived_from_id")

"""benchmarks

Multiple-choice benchmarks (benchmarks, benchmark_questions) and their evaluations: an evaluation gets a kind
(existing ones are "generation"), a benchmark instead of a dataset (dataset_id becomes nullable), per-subject metrics,
and its per-question answers in benchmark_answers.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "benchmarks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("num_questions", sa.Integer(), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_benchmarks_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarks")),
    )
    with op.batch_alter_table("benchmarks") as batch_op:
        batch_op.create_index(batch_op.f("ix_benchmarks_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "benchmark_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("benchmark_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["benchmark_id"],
            ["benchmarks.id"],
            name=op.f("fk_benchmark_questions_benchmark_id_benchmarks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_questions")),
    )
    with op.batch_alter_table("benchmark_questions") as batch_op:
        batch_op.create_index(batch_op.f("ix_benchmark_questions_benchmark_id"), ["benchmark_id"], unique=False)

    with op.batch_alter_table("evaluations") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), server_default="generation", nullable=False))
        batch_op.add_column(sa.Column("benchmark_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("subjects", sa.JSON(), nullable=True))
        batch_op.alter_column("dataset_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_evaluations_benchmark_id_benchmarks"),
            "benchmarks",
            ["benchmark_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_evaluations_benchmark_id"), ["benchmark_id"], unique=False)

    op.create_table(
        "benchmark_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("chosen", sa.Integer(), nullable=False),
        sa.Column("chosen_norm", sa.Integer(), nullable=False),
        sa.Column("logliks", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_benchmark_answers_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["benchmark_questions.id"],
            name=op.f("fk_benchmark_answers_question_id_benchmark_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_answers")),
    )
    with op.batch_alter_table("benchmark_answers") as batch_op:
        batch_op.create_index(batch_op.f("ix_benchmark_answers_evaluation_id"), ["evaluation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("benchmark_answers") as batch_op:
        batch_op.drop_index(batch_op.f("ix_benchmark_answers_evaluation_id"))
    op.drop_table("benchmark_answers")
    # Benchmark evaluations have no dataset: they cannot outlive the columns that describe them.
    op.execute("DELETE FROM evaluations WHERE kind = 'multiple_choice'")
    with op.batch_alter_table("evaluations") as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluations_benchmark_id"))
        batch_op.drop_constraint(batch_op.f("fk_evaluations_benchmark_id_benchmarks"), type_="foreignkey")
        batch_op.alter_column("dataset_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("subjects")
        batch_op.drop_column("benchmark_id")
        batch_op.drop_column("kind")
    with op.batch_alter_table("benchmark_questions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_benchmark_questions_benchmark_id"))
    op.drop_table("benchmark_questions")
    with op.batch_alter_table("benchmarks") as batch_op:
        batch_op.drop_index(batch_op.f("ix_benchmarks_owner_id"))
    op.drop_table("benchmarks")

"""run list

What the runs list shows and filters on, kept on the run (its last step and total, best validation loss, a loss
sparkline, duration, ROUGE-L against the base model) so a page is one query; a note per run and a table of tags.
Runs that exist already get these figures from their metrics and automatic evaluations.

Revision ID: 0020_run_list
Revises: 0019_reviews
Create Date: 2026-12-01 04:26:17.898935

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain import sparkline

revision: str = "0020_run_list"
down_revision: str | Sequence[str] | None = "0019_reviews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

runs = sa.table(
    "runs",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("started_at", sa.DateTime(timezone=True)),
    sa.column("finished_at", sa.DateTime(timezone=True)),
    sa.column("step", sa.Integer),
    sa.column("best_eval_loss", sa.Float),
    sa.column("loss_sparkline", sa.JSON),
    sa.column("duration_seconds", sa.Float),
    sa.column("rouge_l", sa.Float),
    sa.column("rouge_l_change", sa.Float),
)
metrics = sa.table(
    "metrics",
    sa.column("run_id", sa.Integer),
    sa.column("step", sa.Integer),
    sa.column("name", sa.String),
    sa.column("value", sa.Float),
)
evaluations = sa.table(
    "evaluations",
    sa.column("id", sa.Integer),
    sa.column("run_id", sa.Integer),
    sa.column("model", sa.String),
    sa.column("checkpoint_step", sa.Integer),
    sa.column("split", sa.String),
    sa.column("metrics", sa.JSON),
)
RUN_INDEXES = (
    "base_model",
    "best_eval_loss",
    "created_at",
    "duration_seconds",
    "preset_id",
    "rouge_l",
    "rouge_l_change",
)


def upgrade() -> None:
    op.create_table(
        "run_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_run_tags_run_id_runs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_tags")),
        sa.UniqueConstraint("run_id", "tag", name=op.f("uq_run_tags_run_id")),
    )
    op.create_index(op.f("ix_run_tags_tag"), "run_tags", ["tag"], unique=False)
    with op.batch_alter_table("runs") as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("total_steps", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("best_eval_loss", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("loss_sparkline", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("duration_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("rouge_l", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("rouge_l_change", sa.Float(), nullable=True))
        for column in RUN_INDEXES:
            batch_op.create_index(batch_op.f(f"ix_runs_{column}"), [column], unique=False)
    _backfill()


def _backfill() -> None:
    connection = op.get_bind()
    for run in connection.execute(sa.select(runs.c.id, runs.c.status, runs.c.started_at, runs.c.finished_at)):
        points = connection.execute(
            sa.select(metrics.c.step, metrics.c.name, metrics.c.value)
            .where(metrics.c.run_id == run.id)
            .order_by(metrics.c.step)
        ).all()
        eval_losses = [p.value for p in points if p.name == "eval_loss" and p.step > 0]
        headline = {
            e.model: (e.metrics or {}).get("rouge_l", {}).get("value")
            for e in connection.execute(
                sa.select(evaluations.c.model, evaluations.c.metrics)
                .where(
                    evaluations.c.run_id == run.id,
                    evaluations.c.checkpoint_step.is_(None),
                    evaluations.c.split == "test",
                )
                .order_by(evaluations.c.id.desc())  # the first two are the automatic ones: they win
            )
        }
        tuned, base = headline.get("fine_tuned"), headline.get("base")
        finished = run.status in {"succeeded", "failed", "cancelled"}
        connection.execute(
            sa.update(runs)
            .where(runs.c.id == run.id)
            .values(
                step=max((p.step for p in points), default=None),
                best_eval_loss=min(eval_losses, default=None),
                loss_sparkline=sparkline.build((p.step, p.value) for p in points if p.name == "train_loss"),
                duration_seconds=(
                    (run.finished_at - run.started_at).total_seconds()
                    if finished and run.started_at and run.finished_at
                    else None
                ),
                rouge_l=tuned,
                rouge_l_change=tuned - base if tuned is not None and base is not None else None,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch_op:
        for column in RUN_INDEXES:
            batch_op.drop_index(batch_op.f(f"ix_runs_{column}"))
        for column in (
            "rouge_l_change",
            "rouge_l",
            "duration_seconds",
            "loss_sparkline",
            "best_eval_loss",
            "total_steps",
            "step",
            "note",
        ):
            batch_op.drop_column(column)
    op.drop_index(op.f("ix_run_tags_tag"), table_name="run_tags")
    op.drop_table("run_tags")

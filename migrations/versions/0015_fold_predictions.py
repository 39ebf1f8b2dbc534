"""fold predictions into evaluations

A finished run's test answers were kept twice: in `predictions` (fine-tuned and base answer side by side) and, since
0011, as the run's two automatic evaluations. `predictions` goes. A run that finished before 0011 has only its
`predictions`: they become its two evaluations first, scored as the worker scores them. The downgrade brings the table
back from the automatic evaluations.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 01:20:00.000000

"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from domain.scoring.answers import score_answers

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

predictions = sa.table(
    "predictions",
    sa.column("id", sa.Integer),
    sa.column("run_id", sa.Integer),
    sa.column("example_id", sa.Integer),
    sa.column("prompt", sa.Text),
    sa.column("expected", sa.Text),
    sa.column("generated", sa.Text),
    sa.column("base_generated", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
runs = sa.table(
    "runs",
    sa.column("id", sa.Integer),
    sa.column("owner_id", sa.Integer),
    sa.column("dataset_id", sa.Integer),
    sa.column("config", sa.JSON),
    sa.column("environment", sa.JSON),
)
evaluations = sa.table(
    "evaluations",
    sa.column("id", sa.Integer),
    sa.column("owner_id", sa.Integer),
    sa.column("run_id", sa.Integer),
    sa.column("model", sa.String),
    sa.column("checkpoint_step", sa.Integer),
    sa.column("dataset_id", sa.Integer),
    sa.column("split", sa.String),
    sa.column("template", sa.String),
    sa.column("decoding", sa.JSON),
    sa.column("base_model_fingerprint", sa.String),
    sa.column("status", sa.String),
    sa.column("done", sa.Integer),
    sa.column("total", sa.Integer),
    sa.column("metrics", sa.JSON),
    sa.column("cancel_requested", sa.Boolean),
    sa.column("attempts", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("finished_at", sa.DateTime(timezone=True)),
)
evaluation_predictions = sa.table(
    "evaluation_predictions",
    sa.column("evaluation_id", sa.Integer),
    sa.column("example_id", sa.Integer),
    sa.column("prompt", sa.Text),
    sa.column("expected", sa.Text),
    sa.column("generated", sa.Text),
    sa.column("scores", sa.JSON),
)


def upgrade() -> None:
    connection = op.get_bind()
    evaluated = set(connection.scalars(sa.select(evaluations.c.run_id).where(evaluations.c.run_id.is_not(None))))
    by_run: dict[int, list[Any]] = defaultdict(list)
    for row in connection.execute(sa.select(predictions).order_by(predictions.c.id)):
        if row.run_id not in evaluated:
            by_run[row.run_id].append(row)
    for run_id, rows in by_run.items():
        run = connection.execute(sa.select(runs).where(runs.c.id == run_id)).one()
        config, environment = run.config or {}, run.environment or {}
        answers = {"fine_tuned": [row.generated for row in rows]}
        if all(row.base_generated is not None for row in rows):
            answers["base"] = [row.base_generated for row in rows]
        expected = [row.expected for row in rows]
        for model, generated in answers.items():
            scored = score_answers(generated, expected, seed=run_id)
            evaluation_id = connection.execute(
                sa.insert(evaluations)
                .values(
                    owner_id=run.owner_id,
                    run_id=run_id,
                    model=model,
                    checkpoint_step=None,
                    dataset_id=run.dataset_id,
                    split="test",
                    template=config.get("template", ""),
                    decoding={"strategy": "greedy", "max_new_tokens": config.get("max_new_tokens")},
                    base_model_fingerprint=(environment.get("base_model") or {}).get("fingerprint"),
                    status="succeeded",
                    done=len(rows),
                    total=len(rows),
                    metrics=scored.metrics,
                    cancel_requested=False,
                    attempts=0,
                    created_at=rows[0].created_at,
                    finished_at=rows[0].created_at,
                )
                .returning(evaluations.c.id)
            ).scalar_one()
            connection.execute(
                sa.insert(evaluation_predictions),
                [
                    {
                        "evaluation_id": evaluation_id,
                        "example_id": row.example_id,
                        "prompt": row.prompt,
                        "expected": row.expected,
                        "generated": text,
                        "scores": scores,
                    }
                    for row, text, scores in zip(rows, generated, scored.per_example, strict=True)
                ],
            )
    op.drop_table("predictions")


def downgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("example_id", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("expected", sa.Text(), nullable=False),
        sa.Column("generated", sa.Text(), nullable=False),
        sa.Column("base_generated", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_predictions_run_id_runs"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["example_id"], ["dataset_examples.id"], name=op.f("fk_predictions_example_id_dataset_examples")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predictions")),
    )
    with op.batch_alter_table("predictions") as batch_op:
        batch_op.create_index(batch_op.f("ix_predictions_run_id"), ["run_id"], unique=False)
    connection = op.get_bind()
    # The automatic evaluations: the oldest fine-tuned and base ones of each run, on its final weights.
    automatic = connection.execute(
        sa.select(evaluations.c.id, evaluations.c.run_id, evaluations.c.model, evaluations.c.finished_at)
        .where(evaluations.c.checkpoint_step.is_(None), evaluations.c.status == "succeeded", evaluations.c.split == "test")
        .order_by(evaluations.c.id)
    ).all()
    first: dict[tuple[int, str], Any] = {}
    for row in automatic:
        first.setdefault((row.run_id, row.model), row)
    for (run_id, model), tuned in first.items():
        if model != "fine_tuned":
            continue
        base = first.get((run_id, "base"))
        base_answers = (
            dict(
                connection.execute(
                    sa.select(evaluation_predictions.c.example_id, evaluation_predictions.c.generated).where(
                        evaluation_predictions.c.evaluation_id == base.id
                    )
                ).all()
            )
            if base is not None
            else {}
        )
        rows = connection.execute(
            sa.select(evaluation_predictions).where(evaluation_predictions.c.evaluation_id == tuned.id)
        ).all()
        if rows:
            connection.execute(
                sa.insert(predictions),
                [
                    {
                        "run_id": run_id,
                        "example_id": row.example_id,
                        "prompt": row.prompt,
                        "expected": row.expected,
                        "generated": row.generated,
                        "base_generated": base_answers.get(row.example_id),
                        "created_at": tuned.finished_at or datetime.now(UTC),
                    }
                    for row in rows
                ],
            )

"""dataset records, shapes, templates, warnings

Examples move from fixed instruction/input/output columns to a JSON record (alpaca, prompt_completion or
chat); existing rows are converted, not lost.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:24:39.950430

"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch_op:
        batch_op.add_column(sa.Column("shape", sa.String(length=40), nullable=False, server_default="alpaca"))
        batch_op.add_column(sa.Column("column_mapping", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("template", sa.String(length=40), nullable=False, server_default="alpaca"))
        batch_op.add_column(sa.Column("custom_template", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("num_dropped", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("split_ratios", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("warnings", sa.JSON(), nullable=True))

    with op.batch_alter_table("dataset_examples") as batch_op:
        batch_op.add_column(sa.Column("record", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("label", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))

    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, instruction, input, output FROM dataset_examples")).all()
    for row in rows:
        record = {"shape": "alpaca", "instruction": row.instruction, "input": row.input, "output": row.output}
        search = " ".join((row.instruction, row.input, row.output)).lower()
        connection.execute(
            sa.text("UPDATE dataset_examples SET record = :record, search_text = :search WHERE id = :id"),
            {"record": json.dumps(record), "search": search, "id": row.id},
        )
    connection.execute(
        sa.text("UPDATE datasets SET split_ratios = :ratios"),
        {"ratios": json.dumps({"train": 0.85, "validation": 0.05, "test": 0.1})},
    )

    with op.batch_alter_table("dataset_examples") as batch_op:
        batch_op.alter_column("record", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("input")
        batch_op.drop_column("output")
        batch_op.drop_column("instruction")


def downgrade() -> None:
    with op.batch_alter_table("dataset_examples") as batch_op:
        batch_op.add_column(sa.Column("instruction", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("output", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("input", sa.Text(), nullable=False, server_default=""))
    connection = op.get_bind()
    for row in connection.execute(sa.text("SELECT id, record FROM dataset_examples")).all():
        record = json.loads(row.record) if isinstance(row.record, str) else row.record
        if record.get("shape") == "alpaca":
            connection.execute(
                sa.text("UPDATE dataset_examples SET instruction = :i, input = :n, output = :o WHERE id = :id"),
                {"i": record["instruction"], "n": record.get("input", ""), "o": record["output"], "id": row.id},
            )
    with op.batch_alter_table("dataset_examples") as batch_op:
        batch_op.drop_column("search_text")
        batch_op.drop_column("label")
        batch_op.drop_column("record")
    with op.batch_alter_table("datasets") as batch_op:
        for column in ("warnings", "split_ratios", "num_dropped", "custom_template", "template", "column_mapping", "shape"):
            batch_op.drop_column(column)

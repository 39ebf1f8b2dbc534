"""Alembic runs against the database the settings name (SQLite by default, PostgreSQL in production)."""

from alembic import context

from backend.core.config import get_settings
from backend.core.db import make_engine
from backend.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    url = context.config.attributes.get("database_url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        if url.startswith("sqlite"):
            # Batch mode rebuilds a table by copy-and-drop; with foreign keys on, dropping a parent table
            # would cascade-delete its children's rows.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=url.startswith("sqlite"),  # SQLite alters tables by copying them
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()

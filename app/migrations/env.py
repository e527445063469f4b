"""Alembic environment for the station store.

Run programmatically from ``app.db`` with a live connection in
``config.attributes["connection"]``; batch mode because SQLite cannot ALTER
most things in place.
"""

from alembic import context
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover - we never generate SQL scripts
    raise SystemExit("offline migrations are not supported")
run_migrations_online()

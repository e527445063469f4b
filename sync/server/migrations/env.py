"""Alembic environment of the district server (its own tables and its copy of the synced ones)."""

from alembic import context

from sync.server.db import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from sync.server.db import make_engine

        with make_engine(config.get_main_option("sqlalchemy.url")).begin() as conn:
            _configure(conn)
        return
    _configure(connection)


def _configure(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()

"""Alembic environment: used by ``engine.database.upgrade`` and by ``flask db`` (Flask-Migrate)."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from engine.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from flask import current_app  # only under ``flask db``

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    connectable = engine_from_config(
        {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as conn:
        _run(conn)

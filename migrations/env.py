"""Alembic environment: used by ``engine.database.upgrade`` and by ``flask db`` (Flask-Migrate)."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from engine.models import Base

config = context.config
target_metadata = Base.metadata


def _modelled(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    """Everything but the trigram indexes of migration 0013, which exist only where PostgreSQL
    has pg_trgm and so are not in the models."""
    return not (type_ == "index" and reflected and compare_to is None and name.endswith("_trgm"))


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_object=_modelled,
    )
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

"""Database set-up shared by the web app, the workers, the CLI and the tests."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite safe for several processes: WAL, a busy timeout and BEGIN IMMEDIATE.

    BEGIN IMMEDIATE takes the write lock at the start of each transaction, so two writers
    queue instead of failing with "database is locked" when one upgrades a read lock.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across crashes in WAL mode
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **options: object) -> Engine:
    engine = create_engine(url, **options)
    configure_sqlite(engine)
    return engine


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic), on any backend."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

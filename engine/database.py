"""Database set-up shared by the web app, the workers, the CLI and the tests."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import ORMExecuteState, Session

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


BUSY_TIMEOUT_MS = 5000  # how long a writer waits for another one before a clear error


def configure_sqlite(engine: Engine, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    """Make SQLite safe for several processes without letting one slow request block the rest.

    WAL lets readers go on while one connection writes. Every transaction starts as a read
    (``BEGIN``), so pages never wait for a writer. The write lock is taken only when the
    transaction first writes (see ``start_writing``): all the work of a request (loading a case,
    running its diagram) is done before, and the lock is held just for the writes and the
    commit. A writer waits at most ``busy_timeout_ms`` for another, then fails with "database is
    locked", which the web app shows as a Spanish "try again" page.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across crashes in WAL mode
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")
        connection.info[_WRITING] = False


_WRITING = "sqlite_writing"


def start_writing(session: Session) -> None:
    """Before a session's first write on SQLite: end its read and take the write lock.

    The read snapshot is dropped (nothing was written yet, so nothing is lost) and a
    ``BEGIN IMMEDIATE`` waits for the lock. What was read stays in the session; the instance's
    version column catches a writer that changed it meanwhile (``StaleDataError``). Letting
    SQLite upgrade the read instead would fail at once when another writer committed since it
    began. Inside a savepoint the transaction cannot be restarted: such callers start writing
    before their savepoints.
    """
    if session.get_bind().dialect.name != "sqlite" or session.in_nested_transaction():
        return
    connection = session.connection()
    if connection.info.get(_WRITING):
        return
    connection.exec_driver_sql("COMMIT")
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    connection.info[_WRITING] = True


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: object, _instances: object) -> None:
    start_writing(session)


@event.listens_for(Session, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        start_writing(state.session)


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

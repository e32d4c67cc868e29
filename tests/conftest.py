"""Shared fixtures: a real database (SQLite by default, PostgreSQL when TEST_DATABASE_URL says so).

Each test session migrates a fresh database once; each test starts from empty tables.
"""

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from engine import definitions
from engine.clock import ManualClock
from engine.database import make_engine, upgrade
from engine.models import Base

ROOT = Path(__file__).resolve().parent.parent


def _fresh_database_url(tmp_dir: Path) -> tuple[str, str | None]:
    """A URL for a new, empty database, and the server URL to drop it from afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_dir / 'test.db'}", None
    url = make_url(base)
    name = f"av_test_{uuid.uuid4().hex[:10]}"
    server = make_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, created = _fresh_database_url(tmp_path_factory.mktemp("db"))
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    if created:
        server = make_engine(os.environ["TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def empty_tables(engine: Engine) -> None:
    definitions.forget_parsed()  # deployment ids start again
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def session_factory(db_engine: Engine) -> Iterator[sessionmaker[Session]]:
    empty_tables(db_engine)
    yield sessionmaker(db_engine, expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s


@pytest.fixture
def clock() -> ManualClock:
    # A Tuesday morning in Bogotá (13:00 UTC = 08:00 -05:00).
    return ManualClock(datetime(2026, 3, 10, 13, 0, tzinfo=UTC))

"""On SQLite one slow request must not block everyone: transactions read without a lock and take
the write lock only around their writes, checked by the instance's version column."""

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from engine.database import configure_sqlite, make_engine, start_writing
from engine.errors import TaskConflict
from engine.models import Case, User
from engine.runtime import Engine
from tests import factories as f


@pytest.fixture
def sqlite_only(db_engine):
    if db_engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single write lock; PostgreSQL locks rows")


@pytest.fixture
def desk(session_factory, clock):
    with session_factory() as session:
        engine = Engine(session, clock)
        f.deploy(engine)
        now = clock.now()
        citizen = f.user(session, "52000111", "usuario", now=now, kind="citizen")
        ana = f.user(session, "ana", "asesor", now=now)
        first = f.file_case(engine, citizen)
        second = f.file_case(engine, citizen)
        session.commit()
        return {"citizen": citizen.id, "ana": ana.id, "cases": [first.id, second.id]}


def test_on_sqlite_pages_read_while_another_request_holds_the_write_lock(
    sqlite_only, session_factory, desk
) -> None:
    with session_factory() as writer, session_factory() as reader:
        start_writing(writer)
        assert reader.scalar(select(func.count()).select_from(Case)) == 2


def test_on_sqlite_work_done_before_the_write_survives_a_commit_by_someone_else(
    sqlite_only, session_factory, clock, desk
) -> None:
    with session_factory() as slow, session_factory() as quick:
        ana = slow.get(User, desk["ana"])
        task = f.open_task(slow, desk["cases"][0], "ut_5_2_6")  # the slow request reads first
        other = f.open_task(quick, desk["cases"][1], "ut_5_2_6")
        Engine(quick, clock).claim(other.id, quick.get(User, desk["ana"]))
        quick.commit()  # another request writes and commits meanwhile
        Engine(slow, clock).complete_task(task.id, ana, {"es_felicitacion": False})
        slow.commit()
    with session_factory() as check:
        assert f.open_tasks(check, desk["cases"][0]) == ["ut_5_2_7"]


def test_on_sqlite_a_change_to_the_same_case_meanwhile_is_a_conflict(
    sqlite_only, session_factory, clock, desk
) -> None:
    with session_factory() as slow, session_factory() as quick:
        task = f.open_task(slow, desk["cases"][0], "ut_5_2_6")
        Engine(slow, clock)._load_for_update(task.instance_id)  # read the case's state
        same = f.open_task(quick, desk["cases"][0], "ut_5_2_6")
        Engine(quick, clock).complete_task(
            same.id, quick.get(User, desk["ana"]), {"es_felicitacion": False}
        )
        quick.commit()
        with pytest.raises(TaskConflict):
            Engine(slow, clock).complete_task(
                task.id, slow.get(User, desk["ana"]), {"es_felicitacion": False}
            )


def test_on_sqlite_a_writer_waits_only_the_busy_timeout(sqlite_only, database_url) -> None:
    impatient = create_engine(database_url)
    configure_sqlite(impatient, busy_timeout_ms=50)
    with Session(make_engine(database_url)) as holder, Session(impatient) as waiter:
        start_writing(holder)
        with pytest.raises(OperationalError, match="database is locked"):
            start_writing(waiter)

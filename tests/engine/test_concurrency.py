"""Two people at once: radicados stay consecutive, one completion wins, nothing half-written.

On SQLite a transaction reads without a lock and takes the only write lock at its first write
(engine.database.start_writing), so two writers never interleave their writes there; on
PostgreSQL they do. Each test here proves its point on both: the interleavings are made
deterministic (a copy read before the other writer committed, a filing slipped in between two
statements), and a test that needs PostgreSQL would say so in its name.
"""

import threading

import pytest
from sqlalchemy import event, func, select

from engine.errors import EngineError, TaskConflict
from engine.models import Case, Event, HumanTask, ProcessInstance, RadicadoCounter, User
from engine.runtime import Engine
from tests import factories as f

REASONS = "Se requiere concepto jurídico del área."


@pytest.fixture
def filed_case(session_factory, clock):
    with session_factory() as session:
        engine = Engine(session, clock)
        f.deploy(engine)
        citizen = f.user(session, "52000111", "usuario", now=clock.now(), kind="citizen")
        f.user(session, "asesor1", "asesor", now=clock.now())
        f.user(session, "asesor2", "asesor", now=clock.now())
        case = f.file_case(engine, citizen)
        session.commit()
        return case.id, citizen.id


def asesor(session, number):
    return session.scalars(select(User).where(User.username == f"asesor{number}")).one()


def in_threads(count, work):
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(index):
        barrier.wait()
        try:
            outcomes[index] = work(index)
        except EngineError as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def keep_a_copy(session, case_id):
    """Load the case's instance and case and keep them: the session's identity map holds them
    only weakly, and a copy that is kept is not read again. This is what a request that read
    them before another one committed works on (on SQLite too: reads take no lock)."""
    instance = session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == case_id)
    ).one()
    session.commit()  # expire_on_commit is off: the copy stays as it was read
    return instance, instance.case


def count_events(session, case_id, kind, bpmn_id=None):
    query = select(func.count()).where(Event.case_id == case_id, Event.kind == kind)
    if bpmn_id is not None:
        query = query.where(Event.bpmn_id == bpmn_id)
    return session.scalar(query)


# --- radicados ------------------------------------------------------------------------------


def test_concurrent_filings_queue_and_get_consecutive_radicados_without_gaps(
    session_factory, clock, filed_case
):
    # On SQLite this proves the filings queue for the write lock instead of failing with
    # "database is locked"; the counter's own race is pinned by the next test on both databases.
    _, citizen_id = filed_case

    def file(_index):
        with session_factory() as session:
            engine = Engine(session, clock)
            case = f.file_case(engine, session.get(User, citizen_id))
            session.commit()
            return case.radicado

    radicados = in_threads(8, file)
    assert sorted(radicados) == [f"AV-2026-{n:06d}" for n in range(2, 10)]


def test_a_filing_that_takes_a_number_midway_does_not_give_the_same_radicado_twice(
    session_factory, db_engine, clock, filed_case
):
    """Another filing takes number 2 just before this one increments the counter: this one
    must get 3, i.e. the number comes from the counter as it is written, not as read before."""
    _, citizen_id = filed_case
    slipped_in = []

    def another_filing_first(conn, cursor, statement, parameters, context, executemany):
        if slipped_in or not statement.lstrip().upper().startswith("UPDATE RADICADO_COUNTERS"):
            return
        slipped_in.append(True)
        if db_engine.dialect.name == "postgresql":
            # A real second connection files a whole case and commits in between.
            with session_factory() as other:
                case = f.file_case(Engine(other, clock), other.get(User, citizen_id))
                other.commit()
                slipped_in.append(case.radicado)
        else:
            # SQLite: this transaction holds the only write lock since its first write, so no
            # other connection can write now; the other filing's increment is made here instead.
            conn.exec_driver_sql("UPDATE radicado_counters SET last = last + 1")
            slipped_in.append("AV-2026-000002")

    event.listen(db_engine, "before_cursor_execute", another_filing_first)
    try:
        with session_factory() as session:
            case = f.file_case(Engine(session, clock), session.get(User, citizen_id))
            session.commit()
    finally:
        event.remove(db_engine, "before_cursor_execute", another_filing_first)
    assert slipped_in == [True, "AV-2026-000002"]
    assert case.radicado == "AV-2026-000003"
    with session_factory() as session:
        assert session.get(RadicadoCounter, 2026).last == 3


def test_a_rolled_back_filing_gives_its_number_back(session_factory, clock, filed_case):
    _, citizen_id = filed_case
    with session_factory() as session:
        f.file_case(Engine(session, clock), session.get(User, citizen_id))
        session.rollback()
    with session_factory() as session:
        case = f.file_case(Engine(session, clock), session.get(User, citizen_id))
        session.commit()
    assert case.radicado == "AV-2026-000002"


# --- one instance, two writers -------------------------------------------------------------


def test_two_people_completing_the_same_task_one_wins_the_other_gets_a_conflict(
    session_factory, clock, filed_case
):
    case_id, _ = filed_case
    with session_factory() as session:
        task_id = f.open_task(session, case_id, "ut_5_2_6").id

    def complete(index):
        with session_factory() as session:
            engine = Engine(session, clock)
            engine.complete_task(task_id, asesor(session, index + 1), {"es_felicitacion": False})
            session.commit()
            return "ok"

    outcomes = in_threads(2, complete)
    assert sorted(map(type, outcomes), key=str) == sorted([str, TaskConflict], key=str)
    with session_factory() as session:
        assert f.open_tasks(session, case_id) == ["ut_5_2_7"]
        assert count_events(session, case_id, "task_completed", "ut_5_2_6") == 1


def test_completing_from_a_copy_of_a_task_someone_else_completed_is_refused(
    session_factory, clock, filed_case
):
    case_id, _ = filed_case
    with session_factory() as stale, session_factory() as fresh:
        stale_engine = Engine(stale, clock)
        task = f.open_task(stale, case_id, "ut_5_2_6")
        task_id = task.id
        stale_user = asesor(stale, 1)
        stale_engine.task_view(task.id, stale_user)  # loads the instance at its current version
        stale.commit()  # objects stay in the identity map, not refreshed

        fresh_user = asesor(fresh, 2)
        Engine(fresh, clock).complete_task(task.id, fresh_user, {"es_felicitacion": False})
        fresh.commit()

        with pytest.raises(TaskConflict):
            stale_engine.complete_task(task.id, stale_user, {"es_felicitacion": True})
        stale.rollback()
    with session_factory() as session:
        assert session.get(HumanTask, task_id).completed_by_id == fresh_user.id
        assert f.open_tasks(session, case_id) == ["ut_5_2_7"]
        assert session.get(Case, case_id).status == "en_tramite"


def test_a_completion_from_a_copy_older_than_a_prorroga_is_refused_by_the_version_check(
    session_factory, clock, filed_case
):
    """The task is still ready and still open after the prórroga, so only the instance's
    version tells the stale copy from the current one; saving it would undo the prórroga's
    re-armed timers."""
    case_id, _ = filed_case
    with session_factory() as stale, session_factory() as fresh:
        stale_engine = Engine(stale, clock)
        task_id = f.open_task(stale, case_id, "ut_5_2_6").id
        stale_user = asesor(stale, 1)
        _kept = keep_a_copy(stale, case_id)  # held until the end of the test

        Engine(fresh, clock).extend_deadline(case_id, asesor(fresh, 2), 10, REASONS)
        fresh.commit()

        with pytest.raises(TaskConflict):
            stale_engine.complete_task(task_id, stale_user, {"es_felicitacion": False})
        stale.rollback()
    with session_factory() as session:
        assert f.open_tasks(session, case_id) == ["ut_5_2_6"]
        assert count_events(session, case_id, "task_completed", "ut_5_2_6") == 0
        assert session.get(Case, case_id).extension_days == 10


def test_a_second_prorroga_from_a_stale_copy_is_refused(session_factory, clock, filed_case):
    """Two asesores open the same case; the one who saves second had not seen the first
    prórroga, which the law allows only once."""
    case_id, _ = filed_case
    with session_factory() as stale, session_factory() as fresh:
        stale_engine = Engine(stale, clock)
        stale_user = asesor(stale, 1)
        _kept = keep_a_copy(stale, case_id)  # held until the end of the test

        Engine(fresh, clock).extend_deadline(case_id, asesor(fresh, 2), 10, REASONS)
        fresh.commit()

        with pytest.raises(TaskConflict):
            stale_engine.extend_deadline(case_id, stale_user, 15, REASONS)
        stale.rollback()
    with session_factory() as session:
        assert session.get(Case, case_id).extension_days == 10
        assert count_events(session, case_id, "prorroga") == 1

"""Two people at once: radicados stay consecutive, one completion wins, nothing half-written."""

import threading

import pytest
from sqlalchemy import func, select

from engine.errors import EngineError, TaskConflict
from engine.models import Case, Event, HumanTask, User
from engine.runtime import Engine
from tests import factories as f


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


def test_concurrent_filings_get_consecutive_radicados_without_gaps(
    session_factory, clock, filed_case
):
    _, citizen_id = filed_case

    def file(_index):
        with session_factory() as session:
            engine = Engine(session, clock)
            case = f.file_case(engine, session.get(User, citizen_id))
            session.commit()
            return case.radicado

    radicados = in_threads(8, file)
    assert sorted(radicados) == [f"AV-2026-{n:06d}" for n in range(2, 10)]


def test_a_rolled_back_filing_gives_its_number_back(session_factory, clock, filed_case):
    _, citizen_id = filed_case
    with session_factory() as session:
        f.file_case(Engine(session, clock), session.get(User, citizen_id))
        session.rollback()
    with session_factory() as session:
        case = f.file_case(Engine(session, clock), session.get(User, citizen_id))
        session.commit()
    assert case.radicado == "AV-2026-000002"


def test_two_people_completing_the_same_task_one_wins_the_other_gets_a_conflict(
    session_factory, clock, filed_case
):
    case_id, _ = filed_case
    with session_factory() as session:
        task_id = f.open_task(session, case_id, "ut_5_2_6").id

    def complete(index):
        with session_factory() as session:
            engine = Engine(session, clock)
            user = session.scalars(select(User).where(User.username == f"asesor{index + 1}")).one()
            engine.complete_task(task_id, user, {"es_felicitacion": False})
            session.commit()
            return "ok"

    outcomes = in_threads(2, complete)
    assert sorted(map(type, outcomes), key=str) == sorted([str, TaskConflict], key=str)
    with session_factory() as session:
        assert f.open_tasks(session, case_id) == ["ut_5_2_7"]
        completions = session.scalar(
            select(func.count()).where(
                Event.case_id == case_id,
                Event.bpmn_id == "ut_5_2_6",
                Event.kind == "task_completed",
            )
        )
        assert completions == 1


def test_a_stale_snapshot_is_refused_by_the_version_check(session_factory, clock, filed_case):
    case_id, _ = filed_case
    with session_factory() as stale, session_factory() as fresh:
        stale_engine = Engine(stale, clock)
        task = f.open_task(stale, case_id, "ut_5_2_6")
        task_id = task.id
        stale_user = stale.scalars(select(User).where(User.username == "asesor1")).one()
        stale_engine.task_view(task.id, stale_user)  # loads the instance at its current version
        stale.commit()  # objects stay in the identity map, not refreshed

        fresh_user = fresh.scalars(select(User).where(User.username == "asesor2")).one()
        Engine(fresh, clock).complete_task(task.id, fresh_user, {"es_felicitacion": False})
        fresh.commit()

        with pytest.raises(TaskConflict):
            stale_engine.complete_task(task.id, stale_user, {"es_felicitacion": True})
        stale.rollback()
    with session_factory() as session:
        assert session.get(HumanTask, task_id).completed_by_id == fresh_user.id
        assert f.open_tasks(session, case_id) == ["ut_5_2_7"]
        assert session.get(Case, case_id).status == "en_tramite"

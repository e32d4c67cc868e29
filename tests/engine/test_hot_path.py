"""A completion writes its rows with prepared statements; what the session holds stays true.

The instance, the finished inbox row and the new one are written without the ORM's unit of
work (engine/row_writes.py): the session's objects must still show what the database has, the
next flush must have nothing left to write for them, and a step must not grow new statements.
"""

from sqlalchemy import event, select

from engine.models import Event, HumanTask, ProcessInstance, User
from engine.runtime import Engine
from tests import factories as f


def filed(session, clock):
    engine = Engine(session, clock)
    f.deploy(engine)
    citizen = f.user(session, "52000111", "usuario", now=clock.now(), kind="citizen")
    f.user(session, "asesor1", "asesor", now=clock.now())
    case = f.file_case(engine, citizen)
    session.commit()
    return case.id


def test_after_a_completion_the_session_shows_what_was_written_and_has_nothing_to_flush(
    session, clock
):
    case_id = filed(session, clock)
    asesor = session.scalars(select(User).where(User.username == "asesor1")).one()
    task = f.open_task(session, case_id, "ut_5_2_6")
    instance = session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == case_id)
    ).one()
    version = instance.version

    Engine(session, clock).complete_task(task.id, asesor, {"es_felicitacion": False})

    assert instance.version == version + 1
    assert (task.state, task.completed_by_id, task.assignee_id) == (
        "completed",
        asesor.id,
        asesor.id,
    )
    assert task.completed_at == clock.now()
    assert not session.dirty and not session.new
    stored = session.execute(
        select(ProcessInstance.version, ProcessInstance.state).where(
            ProcessInstance.id == instance.id
        )
    ).one()
    assert stored == (instance.version, instance.state)
    session.commit()
    assert f.open_tasks(session, case_id) == ["ut_5_2_7"]
    kinds = session.scalars(
        select(Event.kind).where(Event.case_id == case_id, Event.bpmn_id == "ut_5_2_6")
    ).all()
    assert kinds == ["task_completed"]


def test_a_completion_takes_five_statements_besides_begin_and_commit(session, clock, db_engine):
    """Read the task with its instance and case; write the instance (version-checked); close
    the finished inbox row and read the open ones (one ``UPDATE … RETURNING``); insert the next
    one and the events. On SQLite the read ends and the write lock is taken in between
    (``COMMIT``, ``BEGIN IMMEDIATE``)."""
    case_id = filed(session, clock)
    asesor = session.scalars(select(User).where(User.username == "asesor1")).one()
    task_id = f.open_task(session, case_id, "ut_5_2_6").id
    session.commit()
    session.expunge_all()
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db_engine, "before_cursor_execute", count)
    try:
        Engine(session, clock).complete_task(task_id, asesor, {"es_felicitacion": False})
        session.commit()
    finally:
        event.remove(db_engine, "before_cursor_execute", count)
    assert len([s for s in statements if not s.startswith(("BEGIN", "COMMIT"))]) <= 5
    assert session.get(HumanTask, task_id).state == "completed"

"""A process reuses the workflow it just saved, but never one the database does not hold."""

import pytest
from SpiffWorkflow.task import TaskState
from sqlalchemy import select

from engine import workflow_cache
from engine.definitions import bundle_for
from engine.models import ProcessInstance, User
from engine.runtime import Engine
from tests import factories as f


@pytest.fixture
def case_at_triage(session_factory, clock):
    """A filed case waiting at 5.2.6, committed; the Asesor's id."""
    with session_factory() as session:
        engine = Engine(session, clock)
        f.deploy(engine)
        citizen = f.user(session, "52000111", "usuario", now=clock.now(), kind="citizen")
        asesor = f.user(session, "ana", "asesor", now=clock.now())
        case = f.file_case(engine, citizen)
        f.complete_services(engine)
        session.commit()
        return case.id, asesor.id


def instance_of(session, case_id):
    return session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id)).one()


def complete_triage(session, clock, case_id, asesor_id):
    engine = Engine(session, clock)
    task = f.open_task(session, case_id, "ut_5_2_6")
    engine.complete_task(task.id, session.get(User, asesor_id), {"es_felicitacion": False})
    return engine


def test_a_committed_step_leaves_its_workflow_parsed_for_the_next_one(
    session_factory, clock, case_at_triage
):
    case_id, asesor_id = case_at_triage
    with session_factory() as session:
        complete_triage(session, clock, case_id, asesor_id)
        session.commit()
        instance = instance_of(session, case_id)
        bundle = bundle_for(session, instance.deployment_id)
        kept = workflow_cache.take(instance.id, bundle, instance.state)
        assert kept is not None
        ready = {t.task_spec.bpmn_id for t in kept.get_tasks(state=TaskState.READY, manual=True)}
        assert ready == set(f.open_tasks(session, case_id))
        # Taken out while a step uses it: a second step of the same instance parses its own.
        assert workflow_cache.take(instance.id, bundle, instance.state) is None


def test_a_rolled_back_step_is_not_reused(session_factory, clock, case_at_triage):
    case_id, asesor_id = case_at_triage
    with session_factory() as session:
        complete_triage(session, clock, case_id, asesor_id)
        session.rollback()
    with session_factory() as session:
        # The database still has 5.2.6 open: the completion must be possible again.
        complete_triage(session, clock, case_id, asesor_id)
        session.commit()
        assert f.open_tasks(session, case_id) != ["ut_5_2_6"]

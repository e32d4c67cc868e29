"""The console's bulk jobs in the real worker: a job the broker never got (or whose worker
died) is sent again by beat's sweep once its progress stopped for longer than a job lives,
and finishes, each instance once."""

from datetime import timedelta

from sqlalchemy import select

from engine import bulk_actions
from engine.models import BulkJob, Event, ProcessInstance, User
from tests.workers.harness import wait_for


def test_beat_sends_a_silent_bulk_job_again_and_it_finishes(stack, desk):
    cases = [desk.file_case() for _ in range(2)]

    def create(engine, session):
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        ids = session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.case_id.in_([c.id for c in cases]))
        ).all()
        job = bulk_actions.create(
            session, "cancelar", list(ids), admin, "Radicados de prueba", {}, engine.clock.now()
        )
        return job.id, list(ids)

    job_id, ids = desk.act(create)  # saved, never sent: as if the broker had lost it
    stack.worker.start()
    stack.beat.start()
    stack.clock.set(stack.clock.now() + timedelta(seconds=10))  # past JOB_LEASE (4 s)

    job = wait_for(
        lambda: desk.read(
            lambda s: s.get(BulkJob, job_id) if s.get(BulkJob, job_id).status == "done" else None
        ),
        timeout=60,
        what="the swept bulk job to finish",
    )
    assert (job.processed, job.failures) == (2, [])
    cancelled = desk.read(
        lambda s: s.scalars(
            select(Event.instance_id).where(Event.kind == "cancelled", Event.instance_id.in_(ids))
        ).all()
    )
    assert sorted(cancelled) == sorted(ids)  # each instance once

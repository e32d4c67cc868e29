"""The console's bulk actions run here, in a worker: engine/bulk_actions.py does the work.

A job works for at most half its time limit, then sends itself again (the rest of a big
job is a new Celery job, so no time limit cuts it); beat's ``workers.sweep_bulk`` sends again a
job whose progress stopped (its worker died, the broker lost it)."""

import time
from datetime import timedelta

from celery import shared_task

from engine import bulk_actions
from workers.context import current_context
from workers.dispatch import commit_and_dispatch


@shared_task(name="workers.run_bulk")
def run_bulk(job_id: int) -> str:
    ctx = current_context()
    stop_at = time.monotonic() + ctx.settings.job_soft_time_limit / 2
    job = bulk_actions.run(
        job_id,
        ctx.session_factory,
        ctx.engine,
        lambda session: commit_and_dispatch(session, ctx.dispatcher),
        until=lambda: time.monotonic() > stop_at,
    )
    if job is None:
        return "missing"
    if job.status != "done":
        run_bulk.apply_async((job_id,))
    return job.status


@shared_task(name="workers.sweep_bulk")
def sweep_bulk() -> int:
    """Beat: send again the bulk jobs whose progress stopped for longer than a job lives."""
    ctx = current_context()
    with ctx.session_factory() as session:
        silent = bulk_actions.silent(
            session, ctx.clock.now(), timedelta(seconds=ctx.settings.job_lease)
        )
    for job_id in silent:
        run_bulk.apply_async((job_id,))
    return len(silent)

"""The console's bulk actions run here, in a worker: engine/bulk_actions.py does the work."""

from celery import shared_task

from engine import bulk_actions
from workers.context import current_context
from workers.dispatch import commit_and_dispatch


@shared_task(name="workers.run_bulk")
def run_bulk(job_id: int) -> str:
    ctx = current_context()
    job = bulk_actions.run(
        job_id,
        ctx.session_factory,
        ctx.engine,
        lambda session: commit_and_dispatch(session, ctx.dispatcher),
    )
    return job.status if job is not None else "missing"

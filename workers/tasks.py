"""Celery tasks: thin functions that run an outbox job or a sweep and call the engine."""

import logging
import random
from collections.abc import Callable

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import TaskConflict
from engine.models import OutboxMessage
from web.ops import logs
from workers import heartbeat
from workers.context import WorkerContext, current_context
from workers.dispatch import commit_and_dispatch
from workers.errors import HeldElsewhere, PermanentFailure, TransientFailure
from workers.operators import OPERATORS, Job
from workers.timers import TimerSweep

log = logging.getLogger(__name__)


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds before retry number ``attempt`` (0-based): base·2ⁿ, capped, with 10% jitter."""
    delay = min(cap, base * 2**attempt)
    return delay * random.uniform(0.9, 1.1)


@shared_task(bind=True, name="workers.run_outbox", max_retries=None)
def run_outbox(self: Task, outbox_id: int, waits: int = 0) -> str:
    """Run one outbox job: its operator, then the result (or the incident) into the engine.

    ``waits`` counts the retries spent waiting for another delivery of the same job (not
    attempts of this one).
    """
    ctx = current_context()
    with ctx.session_factory() as session:
        message = session.get(OutboxMessage, outbox_id)
        if message is None or message.status != "pending":
            # Already done (a redelivery), failed, skipped, or rolled back: never re-applied.
            session.rollback()
            ctx.dispatcher.forget(outbox_id)
            return message.status if message is not None else "missing"
        logs.bind(outbox_id=outbox_id, instance_id=message.instance_id)
        # From now on the sweep stays away only while this job may still be alive.
        ctx.dispatcher.keep_mark(outbox_id, ctx.settings.job_lease)
        attempt = self.request.retries - waits + 1
        job = Job.from_message(message, ctx, session, attempt=attempt)
        try:
            operator = OPERATORS.get(job.operation)
            if operator is None:
                raise PermanentFailure(f"No hay un operador «{job.operation}» en los workers.")
            prepared = operator.prepare(job)
            session.rollback()  # end the reads before slow I/O (SQLite holds its write lock)
            result = operator.perform(job, prepared)
        except HeldElsewhere as exc:
            session.rollback()
            return _wait_for_holder(self, ctx, outbox_id, waits, exc)
        except (TransientFailure, SoftTimeLimitExceeded) as exc:
            session.rollback()
            if isinstance(exc, SoftTimeLimitExceeded):
                exc = TransientFailure(
                    f"El trabajo superó su tiempo límite ({ctx.settings.job_soft_time_limit} s)."
                )
            if job.attempt < ctx.settings.max_attempts:
                return _retry_later(self, ctx, outbox_id, job.attempt, waits, exc)
            return _fail(self, ctx, session, outbox_id, job.attempt, str(exc))
        except PermanentFailure as exc:
            session.rollback()
            return _fail(self, ctx, session, outbox_id, job.attempt, str(exc))
        except Exception as exc:
            session.rollback()
            log.exception("outbox %s (%s) failed", outbox_id, job.operation)
            return _fail(self, ctx, session, outbox_id, job.attempt, f"{type(exc).__name__}: {exc}")
        return _complete(self, ctx, session, outbox_id, job.attempt, result)


def _retry_later(
    task: Task, ctx: WorkerContext, outbox_id: int, attempt: int, waits: int, exc: Exception
) -> str:
    countdown = backoff(attempt - 1, ctx.settings.backoff_base, ctx.settings.backoff_cap)
    ctx.dispatcher.keep_mark(outbox_id, countdown + ctx.settings.job_lease)
    log.info(
        "outbox %s attempt %s failed (%s); retrying in %.1fs", outbox_id, attempt, exc, countdown
    )
    raise task.retry(exc=exc, countdown=countdown, kwargs={"waits": waits})


def _wait_for_holder(
    task: Task, ctx: WorkerContext, outbox_id: int, waits: int, exc: HeldElsewhere
) -> str:
    countdown = max(exc.retry_after, 0.05)
    ctx.dispatcher.keep_mark(outbox_id, countdown + ctx.settings.job_lease)
    log.info("outbox %s is held elsewhere (%s); looking again in %.1fs", outbox_id, exc, countdown)
    raise task.retry(exc=exc, countdown=countdown, kwargs={"waits": waits + 1})


def _complete(
    task: Task, ctx: WorkerContext, session: Session, outbox_id: int, attempt: int, result: dict
) -> str:
    def apply() -> None:
        ctx.engine(session).complete_service(outbox_id, result)

    return _save(task, ctx, session, outbox_id, attempt, apply, "done")


def _fail(
    task: Task, ctx: WorkerContext, session: Session, outbox_id: int, attempt: int, error: str
) -> str:
    log.warning("outbox %s failed after %s attempt(s): %s", outbox_id, attempt, error)

    def apply() -> None:
        ctx.engine(session).fail_service(outbox_id, error)

    return _save(task, ctx, session, outbox_id, attempt, apply, "failed")


def _save(
    task: Task,
    ctx: WorkerContext,
    session: Session,
    outbox_id: int,
    attempt: int,
    apply: Callable[[], None],
    outcome: str,
) -> str:
    """Write the outcome in one transaction, then enqueue the jobs it created."""
    try:
        apply()
        session.get(OutboxMessage, outbox_id).attempts = attempt
        commit_and_dispatch(session, ctx.dispatcher)
    except (TaskConflict, StaleDataError, OperationalError, DBAPIError) as exc:
        # Someone changed the same instance at the same moment, or the database was busy:
        # run again shortly; every operator's side effect is idempotent.
        session.rollback()
        log.info("outbox %s outcome not saved (%s); again shortly", outbox_id, exc)
        countdown = random.uniform(0.05, 0.5)
        ctx.dispatcher.keep_mark(outbox_id, countdown + ctx.settings.job_lease)
        raise task.retry(exc=exc, countdown=countdown) from exc
    ctx.dispatcher.forget(outbox_id)
    return outcome


@shared_task(name="workers.sweep_outbox")
def sweep_outbox() -> int:
    """Beat: enqueue pending outbox rows that no job carries."""
    ctx = current_context()
    heartbeat.record_sweep(ctx.redis, ctx.clock.now())
    with ctx.session_factory() as session:
        return ctx.dispatcher.sweep_pending(session)


@shared_task(name="workers.fire_timers")
def fire_timers() -> int:
    """Beat: fire the due timers and start the periodic processes whose period began."""
    return TimerSweep(current_context()).run()

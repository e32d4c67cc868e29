"""Outbox rows become Celery jobs after the commit that wrote them, and never get lost.

Two paths lead a pending row to a worker:
- right after the commit, the writer hands the new ids to ``Dispatcher.dispatch`` (the web
  app through ``app.extensions["outbox_dispatch"]``, the workers through their session);
- every few seconds beat's sweep (``sweep_pending``) dispatches pending rows that carry no
  dispatch mark: rows whose writer died between commit and enqueue, rows an administrator
  put back (``retry_incident``), rows whose job Redis lost.

The dispatch mark is a Redis key per outbox id, set with NX, so the two paths enqueue a row
once. While the job waits in the queue the mark lives ``redispatch_after`` seconds (90 by
default): short, so that a job a killed worker had prefetched but not started (the broker would
give it back only after its visibility timeout) is enqueued again within two minutes; a copy
that arrives later finds its row done and does nothing. Once a worker runs it, the job
shortens it to its lease (``hold``: longer than the job may live), and a retry keeps it for
its wait plus that lease. So a job whose worker died mid-run is enqueued again by the sweep
within the lease, not after the broker's visibility timeout. A job deletes the mark when the
row reaches its final state. Jobs carry only the outbox id.
"""

import logging
from collections.abc import Callable, Iterable
from typing import Any

import redis
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from engine.models import OutboxMessage

log = logging.getLogger(__name__)

MARK_PREFIX = "av:outbox:"
CLAIM_SECONDS = 30  # a mark whose job was not (yet) enqueued
_NEW_OUTBOX = "workers.new_outbox_ids"


def mark_key(outbox_id: int) -> str:
    return f"{MARK_PREFIX}{outbox_id}"


class Dispatcher:
    def __init__(
        self,
        client: redis.Redis,
        enqueue: Callable[[int], Any],
        redispatch_after: int,
    ) -> None:
        self.client = client
        self.enqueue = enqueue
        self.redispatch_after = redispatch_after

    def dispatch(self, ids: Iterable[int]) -> int:
        """Enqueue the rows not yet marked; returns how many were enqueued.

        Called after a commit: a broker that is down must not fail the caller, whose state
        change is already durable; the sweep enqueues the rows later. A mark is first set
        for a short while and made long only once its job is in the queue, so a failed
        enqueue (Redis restarting, a process dying) never keeps the sweep away for long.
        """
        ids = list(dict.fromkeys(ids))
        if not ids:
            return 0
        enqueued: list[int] = []
        try:
            pipe = self.client.pipeline(transaction=False)
            for outbox_id in ids:
                pipe.set(mark_key(outbox_id), 1, nx=True, ex=CLAIM_SECONDS)
            claimed = [i for i, ok in zip(ids, pipe.execute(), strict=True) if ok]
            for outbox_id in claimed:
                self.enqueue(outbox_id)
                enqueued.append(outbox_id)
            pipe = self.client.pipeline(transaction=False)
            for outbox_id in enqueued:
                pipe.expire(mark_key(outbox_id), self.redispatch_after)
            pipe.execute()
        except Exception as exc:  # redis-py's or kombu's errors: the broker is not there
            log.warning("outbox %s not enqueued now (%s); the sweep will retry", ids, exc)
        return len(enqueued)

    def sweep_pending(self, session: Session, limit: int = 5000) -> int:
        """Dispatch pending rows that carry no mark (never enqueued, or their job was lost)."""
        ids = session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending")
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).all()
        session.rollback()  # end the read before talking to Redis
        if not ids:
            return 0
        marks = self.client.mget([mark_key(i) for i in ids])
        unmarked = [i for i, mark in zip(ids, marks, strict=True) if mark is None]
        return self.dispatch(unmarked)

    def keep_mark(self, outbox_id: int, seconds: float) -> None:
        """A running job, or one waiting to retry: keep the sweep away for ``seconds``, and
        no longer, so the job is enqueued again soon after the process holding it died."""
        try:
            self.client.set(mark_key(outbox_id), 1, ex=max(int(seconds) + 1, 1))
        except (redis.RedisError, OSError) as exc:  # at worst the sweep enqueues it again
            log.warning("mark of outbox %s not kept: %s", outbox_id, exc)

    def forget(self, outbox_id: int) -> None:
        """The row reached its final state (or was handed back): drop its mark."""
        try:
            self.client.delete(mark_key(outbox_id))
        except (redis.RedisError, OSError) as exc:  # the mark expires on its own
            log.warning("mark of outbox %s not removed: %s", outbox_id, exc)


def track_new_outbox_rows(factory: sessionmaker[Session]) -> None:
    """Remember, per session, the outbox rows each transaction inserts (see ``new_outbox_ids``)."""

    @event.listens_for(factory, "after_flush")
    def _remember(session: Session, _context: Any) -> None:
        ids = session.info.setdefault(_NEW_OUTBOX, [])
        ids.extend(obj.id for obj in session.new if isinstance(obj, OutboxMessage))

    @event.listens_for(factory, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_NEW_OUTBOX, None)


def commit_and_dispatch(session: Session, dispatcher: Dispatcher) -> int:
    """Commit the worker's transaction, then enqueue the outbox rows it wrote."""
    session.flush()
    ids = session.info.pop(_NEW_OUTBOX, [])
    session.commit()
    return dispatcher.dispatch(ids)

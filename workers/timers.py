"""Beat's timer sweep: fire due timers in batches and start the periodic processes.

Each batch is one transaction (``Engine.fire_due_timers`` locks the instances it wakes, with
SKIP LOCKED on PostgreSQL), so a crash loses at most the batch in flight, which the next
sweep fires again; an instance fired and committed has moved its next due time, so it is
never fired twice. Up to ``SWEEPERS`` sweeps run at once (one per worker process); the
others return at once, so ticks never pile up.
"""

import logging
import time

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import TaskConflict
from workers import failure_schedule
from workers.context import WorkerContext
from workers.dispatch import commit_and_dispatch

log = logging.getLogger(__name__)

SWEEPERS = 2
SLOT_KEY = "av:timers:sweeper:{}"
SLOT_SECONDS = 120
SCHEDULES_LOCK = "av:timers:schedules"
TIME_BUDGET = 60.0  # then leave the rest to the next tick


class TimerSweep:
    def __init__(self, ctx: WorkerContext) -> None:
        self.ctx = ctx

    def run(self) -> int:
        slot = self._take_slot()
        if slot is None:
            return 0
        try:
            fired = self._fire_batches()
            self._start_schedules()
            return fired
        finally:
            self.ctx.redis.delete(slot)

    def _take_slot(self) -> str | None:
        for number in range(SWEEPERS):
            key = SLOT_KEY.format(number)
            if self.ctx.redis.set(key, 1, nx=True, ex=SLOT_SECONDS):
                return key
        return None

    def _fire_batches(self) -> int:
        batch = self.ctx.settings.timer_batch
        deadline = time.monotonic() + TIME_BUDGET
        total = 0
        while time.monotonic() < deadline:
            with self.ctx.session_factory() as session:
                try:
                    fired = self.ctx.engine(session).fire_due_timers(limit=batch)
                    commit_and_dispatch(session, self.ctx.dispatcher)
                except (TaskConflict, StaleDataError, OperationalError, DBAPIError) as exc:
                    session.rollback()
                    log.info("timer batch rolled back (%s); trying again", exc)
                    continue
            total += fired
            if fired < batch:
                break
        return total

    def _start_schedules(self) -> None:
        # One scheduler at a time: two could both see "no instance yet" for a period.
        if not self.ctx.redis.set(SCHEDULES_LOCK, 1, nx=True, ex=SLOT_SECONDS):
            return
        try:
            self._start_due_schedules()
        finally:
            self.ctx.redis.delete(SCHEDULES_LOCK)

    def _start_due_schedules(self) -> None:
        with self.ctx.session_factory() as session:
            try:
                started = self.ctx.engine(session).start_due_schedules()
                commit_and_dispatch(session, self.ctx.dispatcher)
            except (TaskConflict, StaleDataError, OperationalError, DBAPIError) as exc:
                session.rollback()
                log.info("periodic processes not started now (%s)", exc)
                return
        for instance in started:
            log.info("started %s (%s)", instance.process_id, instance.business_key)
        self._queue_failure_reports()

    def _queue_failure_reports(self) -> None:
        with self.ctx.session_factory() as session:
            try:
                queued = failure_schedule.queue_weekly(session, self.ctx.clock.now())
                commit_and_dispatch(session, self.ctx.dispatcher)
            except (OperationalError, DBAPIError) as exc:
                session.rollback()
                log.info("failure reports not queued now (%s)", exc)
                return
        for row in queued:
            log.info("queued the failure report %s", row.key)

"""Beat queues the weekly failure reports: on Monday from 07:00 (Bogotá), one e-mail per
process leader with failures in the week that just ended, once (the outbox key is the week
and the leader). A leader's group with nobody active in it gets no e-mail (there is no one to
send it to); its failures stay readable on /informes/fallas."""

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import failure_report
from engine.clock import BOGOTA
from engine.models import OutboxMessage
from workers.operators.notify import _members

SEND_AT = time(7, 0)
OPERATION = "failure_report"


def last_week(now: datetime) -> tuple[datetime, datetime] | None:
    """The week before this one, once this Monday's sending hour has come."""
    this_week, _ = failure_report.week_of(now.astimezone(BOGOTA).date())
    if now < datetime.combine(this_week.date(), SEND_AT, tzinfo=BOGOTA):
        return None
    return this_week - timedelta(days=7), this_week


def queue_weekly(session: Session, now: datetime) -> list[OutboxMessage]:
    """Add (in the caller's transaction) the outbox rows of last week's reports not yet queued."""
    week = last_week(now)
    if week is None:
        return []
    start, end = week
    leaders = sorted({f.leader for f in failure_report.failures(session, start, end, now)})
    queued = []
    for leader in leaders:
        if not any(_members(session, leader)):
            continue
        key = f"fallas:{start.date().isoformat()}:{leader}"
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)):
            continue
        row = OutboxMessage(
            key=key,
            instance_id=None,
            task_id=None,
            operation=OPERATION,
            params={"lider": leader, "semana": start.date().isoformat()},
            status="pending",
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another sweep queued it first
            continue
        queued.append(row)
    return queued

"""The administrators' dashboard: figures computed from the case records, the inbox, the
event log and the outbox. Nothing here writes; every function takes the session and ``now``.

Every figure about cases or tasks takes ``groups``: None for everything (administrators), or
the groups whose work a coordinador sees (web/access.py ``dashboard_groups``): their tasks,
and the instances that have or had a task of theirs.

Compliance by week: a term is *decided* when it was met (the work was done by its deadline)
or its deadline passed without it. Met terms count in the week they were done, missed ones
in the week their deadline passed (weeks start on Monday, Bogotá).
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, true, union
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from engine.clock import BOGOTA
from engine.models import (
    Case,
    Event,
    HumanTask,
    Incident,
    OutboxMessage,
    ProcessInstance,
    User,
)

TERMS = ("first_response", "area", "legal")
LIVE = ("running", "suspended")


@dataclass
class StepLoad:
    group: str
    step: str
    open: int
    unassigned: int
    oldest: datetime
    mean_age_hours: float


@dataclass
class WeekCompliance:
    week: date  # its Monday
    met: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TERMS, 0))
    missed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TERMS, 0))

    def share(self, term: str) -> float | None:
        total = self.met[term] + self.missed[term]
        return None if total == 0 else 100.0 * self.met[term] / total


@dataclass
class AtRisk:
    case: Any  # its radicado, subject and terms
    instance_id: int
    term: str
    due: datetime


@dataclass
class PersonLoad:
    user_id: int
    name: str
    open: int
    oldest: datetime
    overdue: int


@dataclass
class Backlog:
    pending: int
    oldest: datetime | None
    failed: int


@dataclass
class LastRuns:
    timer_fired: datetime | None  # the last timer the sweep fired (event log)
    timers_late: int  # running instances whose next timer is more than 5 minutes past due
    oldest_late: datetime | None
    by_operation: dict[str, datetime]  # the last outbox job each kind of worker finished
    worker_seen: datetime | None = None  # a worker's heartbeat, else its last job finished
    beat_swept: datetime | None = None  # beat's last sweep, else the last timer it fired
    from_heartbeats: bool = False  # True when both come from the marks in Redis


@dataclass(frozen=True)
class Heartbeats:
    """The marks workers/heartbeat.py leaves in Redis (seconds since the epoch, or None)."""

    worker: float | None
    beat: float | None


Groups = frozenset[str] | None


def _instance_of(groups: Groups, instance_id: Any) -> Any:
    """``instance_id`` is of an instance that has or had a task of ``groups`` (always true
    when None); for the few rows left by the other conditions."""
    if groups is None:
        return true()
    return exists().where(
        HumanTask.instance_id == instance_id, HumanTask.candidate_group.in_(groups)
    )


def _task_of(groups: Groups) -> Any:
    return true() if groups is None else HumanTask.candidate_group.in_(groups)


def _monday(moment: datetime) -> date:
    day = moment.astimezone(BOGOTA).date()
    return day - timedelta(days=day.weekday())


def _mean_epoch(session: Session, column: Any) -> Any:
    """The mean of a time column as seconds since 1970, computed by the database."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.avg(func.julianday(column)) - 2440587.5) * 86400.0
    return func.avg(func.extract("epoch", column))


def open_work(session: Session, now: datetime, groups: Groups = None) -> list[StepLoad]:
    """Open tasks per group and step: how many, how many nobody took, the oldest, mean age
    (all computed by the database: one grouped query)."""
    rows = session.execute(
        select(
            HumanTask.candidate_group,
            HumanTask.name,
            func.count(),
            func.count().filter(HumanTask.assignee_id.is_(None)),
            func.min(HumanTask.created_at),
            _mean_epoch(session, HumanTask.created_at),
        )
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.state == "open", ProcessInstance.status.in_(LIVE), _task_of(groups))
        .group_by(HumanTask.candidate_group, HumanTask.name)
    ).all()
    loads = [
        StepLoad(
            group,
            name,
            count,
            unassigned,
            oldest,
            max(0.0, (now.timestamp() - float(mean)) / 3600),
        )
        for group, name, count, unassigned, oldest, mean in rows
    ]
    return sorted(loads, key=lambda s: (s.group, s.oldest))


def _area_answer_times(since: datetime) -> Any:
    """Per case whose area term ends after ``since``: when its area answered (its first
    ``respuesta_area`` milestone since its latest escalation: a case moved back before its
    escalation is escalated anew, and only an answer after that meets the new term). No
    other case's area term can be decided after ``since``."""
    escalated = (
        select(Event.case_id, func.max(Event.at).label("at"))
        .where(
            Event.kind == "hito",
            Event.label == "escalamiento",
            Event.case_id.in_(select(Case.id).where(Case.area_due >= since)),
        )
        .group_by(Event.case_id)
        .subquery()
    )
    return (
        select(Event.case_id.label("case_id"), func.min(Event.at).label("at"))
        .join(escalated, escalated.c.case_id == Event.case_id)
        .where(
            Event.kind == "hito",
            Event.label == "respuesta_area",
            Event.at >= escalated.c.at,
        )
        .group_by(Event.case_id)
    )


def _area_answers(session: Session, since: datetime) -> dict[int, datetime]:
    return dict(session.execute(_area_answer_times(since)).all())


def weekly_compliance(
    session: Session, now: datetime, weeks: int = 8, groups: Groups = None
) -> list[WeekCompliance]:
    """First response (24 h), area and legal terms decided in each of the last ``weeks``.

    Counted in the database, one grouped query per term (at 100,000 cases, reading them into
    Python cost seconds). A term decided in the period ends after its start: met by its end,
    or missed at its end, so each query reads the cases by the term's end (indexed)."""
    first = _monday(now) - timedelta(weeks=weeks - 1)
    mondays = [first + timedelta(weeks=i) for i in range(weeks + 1)]
    bounds = [datetime.combine(day, time(), tzinfo=BOGOTA) for day in mondays]
    since = bounds[0]
    area = _area_answer_times(since).subquery()
    # Cancelled cases count for no term (few: a set the database builds once per query).
    cancelled = select(ProcessInstance.case_id).where(
        ProcessInstance.status == "cancelled", ProcessInstance.case_id.is_not(None)
    )
    terms = {
        "first_response": (Case.first_response_at, Case.first_response_due, true()),
        "legal": (Case.answered_at, Case.legal_due, Case.withdrawn_at.is_(None)),
        "area": (area.c.at, Case.area_due, true()),
    }
    by_week = [WeekCompliance(day) for day in mondays[:weeks]]

    def week_of(moment: Any, decided: Any) -> Any:
        week = when(*((moment < bounds[i + 1], i) for i in range(weeks)), else_=None)
        return when((decided, week), else_=None)

    for term, (done, due, counts) in terms.items():
        # Met: done by the term's end (the week it was done); missed: the end passed without
        # it (the week the term ended). Both imply the end is in or after the first week.
        met = and_(done.is_not(None), done <= due, done <= now, done >= since)
        missed = and_(due <= now, or_(done.is_(None), done > due))
        met_week, missed_week = week_of(done, met), week_of(due, missed)
        query = (
            select(met_week, missed_week, func.count())
            .select_from(Case)
            .where(due >= since, counts, Case.id.not_in(cancelled))
            .group_by(met_week, missed_week)
        )
        if term == "area":
            query = query.outerjoin(area, area.c.case_id == Case.id)
        if groups is not None:  # the groups' cases: a set built once
            query = query.where(
                Case.id.in_(select(HumanTask.case_id).where(HumanTask.candidate_group.in_(groups)))
            )
        for met_index, missed_index, total in session.execute(query):
            if met_index is not None:
                by_week[met_index].met[term] += total
            elif missed_index is not None:
                by_week[missed_index].missed[term] += total
    return by_week


def at_risk(
    session: Session, now: datetime, hours: int = 24, groups: Groups = None
) -> list[AtRisk]:
    """Open cases with a term still unmet that ends within the next ``hours``."""
    horizon = now + timedelta(hours=hours)
    # The cases with a term ending in the window, each term read by its index (the open
    # cases are thousands, those due soon hundreds).
    due_soon = union(
        *(
            select(Case.id).where(column > now, column <= horizon)
            for column in (Case.first_response_due, Case.legal_due, Case.area_due)
        )
    )
    rows = session.execute(
        # The columns it needs, not whole cases: hundreds are due at 10,000 open cases.
        select(
            Case.id,
            Case.radicado,
            Case.subject,
            Case.status,
            Case.legal_due,
            Case.first_response_at,
            Case.first_response_due,
            Case.area_due,
            ProcessInstance.id.label("instance_id"),
        )
        .join(ProcessInstance, ProcessInstance.case_id == Case.id)
        .where(
            Case.id.in_(due_soon),
            ProcessInstance.status.in_(LIVE),
            _instance_of(groups, ProcessInstance.id),
            Case.answered_at.is_(None),
            Case.withdrawn_at.is_(None),
            or_(
                and_(
                    Case.first_response_at.is_(None),
                    Case.first_response_due > now,
                    Case.first_response_due <= horizon,
                ),
                and_(Case.legal_due > now, Case.legal_due <= horizon),
                and_(Case.status == "escalado", Case.area_due > now, Case.area_due <= horizon),
            ),
        )
    ).all()
    found = []
    for case in rows:
        terms = [("legal", case.legal_due)]
        if case.first_response_at is None:
            terms.append(("first_response", case.first_response_due))
        if case.status == "escalado" and case.area_due is not None:
            terms.append(("area", case.area_due))
        term, due = min(((t, d) for t, d in terms if now < d <= horizon), key=lambda pair: pair[1])
        found.append(AtRisk(case, case.instance_id, term, due))
    return sorted(found, key=lambda r: r.due)


def workload(session: Session, now: datetime, groups: Groups = None) -> list[PersonLoad]:
    """Open tasks each staff member holds (of ``groups``): how many, the oldest, how many
    are overdue."""
    rows = session.execute(
        select(
            User.id,
            User.full_name,
            func.count(),
            func.min(HumanTask.created_at),
            func.count().filter(HumanTask.due_at < now),
        )
        .join(HumanTask, HumanTask.assignee_id == User.id)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(
            HumanTask.state == "open",
            User.kind == "staff",
            ProcessInstance.status.in_(LIVE),
            _task_of(groups),
        )
        .group_by(User.id, User.full_name)
        .order_by(func.count().desc(), User.full_name)
    ).all()
    return [PersonLoad(*row) for row in rows]


def open_incidents(
    session: Session, limit: int = 20, groups: Groups = None
) -> tuple[int, list[Any]]:
    """How many incidents are unresolved, and the oldest of them with their instance."""
    unresolved = and_(Incident.resolved_at.is_(None), _instance_of(groups, Incident.instance_id))
    total = session.scalar(select(func.count()).select_from(Incident).where(unresolved)) or 0
    rows = session.execute(
        select(Incident, ProcessInstance.business_key)
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .where(unresolved)
        .order_by(Incident.created_at)
        .limit(limit)
    ).all()
    return total, rows


def outbox_backlog(session: Session, groups: Groups = None) -> Backlog:
    """Jobs waiting and failed (of the groups' instances, when ``groups`` is given)."""

    def of(status: str, *columns: Any) -> Any:
        return select(*columns).where(
            OutboxMessage.status == status, _instance_of(groups, OutboxMessage.instance_id)
        )

    pending, oldest = session.execute(
        of("pending", func.count(), func.min(OutboxMessage.created_at))
    ).one()
    failed = session.scalar(of("failed", func.count()))
    return Backlog(pending or 0, oldest, failed or 0)


def _moment(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


def last_runs(session: Session, now: datetime, marks: Heartbeats | None = None) -> LastRuns:
    """Beat and the workers: their heartbeats in Redis when ``marks`` holds them, else what the
    database knows (the last timer fired, the last job finished); plus the timers late (a
    stopped beat leaves them past due) and the last job finished per kind of work."""
    timer_fired = session.scalar(select(func.max(Event.at)).where(Event.kind == "timer"))
    late = ProcessInstance.next_timer_at < now - timedelta(minutes=5)
    timers_late, oldest_late = session.execute(
        select(func.count(), func.min(ProcessInstance.next_timer_at)).where(
            ProcessInstance.status == "running", late
        )
    ).one()
    by_operation = dict(
        session.execute(
            select(OutboxMessage.operation, func.max(OutboxMessage.completed_at))
            .where(OutboxMessage.completed_at.is_not(None))
            .group_by(OutboxMessage.operation)
        ).all()
    )
    worker = _moment(marks.worker) if marks else None
    beat = _moment(marks.beat) if marks else None
    return LastRuns(
        timer_fired,
        timers_late or 0,
        oldest_late,
        by_operation,
        worker_seen=worker or max(by_operation.values(), default=None),
        beat_swept=beat or timer_fired,
        from_heartbeats=worker is not None and beat is not None,
    )

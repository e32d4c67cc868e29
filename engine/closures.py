"""Office closures (days the entity is closed, with a reason) and the deadlines they move.

Adding a closure on a day that was a business day makes every open term that counts that day
end one business day later; removing one makes such terms end one business day earlier. The
preview lists each open case whose deadlines move (before and after); applying the change
writes the closure, the new deadlines and reminders, the inbox due dates, re-arms the timers
and logs it on every case moved, all in the caller's transaction.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import cases
from engine.business_calendar import BusinessCalendar
from engine.clock import BOGOTA
from engine.deadlines import information_deadline
from engine.definitions import bundle_for
from engine.errors import EngineError, NotAllowed
from engine.models import Case, Closure, Event, ProcessInstance, User
from engine.run import Run, clocked, timer_due

if TYPE_CHECKING:
    from engine.runtime import Engine

MAX_REASON = 200
TERMS = ("first_response", "info", "area", "legal")


@dataclass
class CaseShift:
    case: Case
    instance: ProcessInstance
    before: dict[str, datetime] = field(default_factory=dict)
    after: dict[str, datetime] = field(default_factory=dict)


def _day(moment: datetime) -> date:
    return moment.astimezone(BOGOTA).date()


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=BOGOTA)


def moved_end(
    due: datetime, since: datetime, day: date, before: BusinessCalendar, after: BusinessCalendar
) -> datetime:
    """``due`` under the ``after`` calendar, for a term counted from ``since``."""
    end = _day(due)
    if not _day(since) < day <= end:
        return due
    if before.is_business_day(day) and not after.is_business_day(day):
        return _end_of(after.next_business_day(end))
    if not before.is_business_day(day) and after.is_business_day(day) and day < end:
        return _end_of(after.previous_business_day(end))
    return due


def _escalations(session: Session, case_ids: list[int]) -> dict[int, datetime]:
    """When each case was last escalated (its area term is counted from then)."""
    return dict(
        session.execute(
            select(Event.case_id, func.max(Event.at))
            .where(Event.case_id.in_(case_ids), Event.kind == "hito", Event.label == "escalamiento")
            .group_by(Event.case_id)
        ).all()
    )


def calendars(
    session: Session, day: date, adding: bool
) -> tuple[BusinessCalendar, BusinessCalendar]:
    closed = set(session.scalars(select(Closure.day)))
    changed = closed | {day} if adding else closed - {day}
    return BusinessCalendar(closed), BusinessCalendar(changed)


def preview(engine: "Engine", day: date, adding: bool) -> list[CaseShift]:
    """The open cases whose deadlines move if ``day`` is added (or removed) as a closure."""
    session = engine.session
    before, after = calendars(session, day, adding)
    rows = session.execute(
        select(Case, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.case_id == Case.id)
        .where(
            ProcessInstance.status.in_(("running", "suspended")),
            Case.answered_at.is_(None),
            Case.withdrawn_at.is_(None),
        )
        .order_by(Case.legal_due)
    ).all()
    escalated = _escalations(session, [case.id for case, _ in rows])
    shifts = []
    for case, instance in rows:
        new: dict[str, datetime] = {}
        if case.first_response_at is None:
            new["first_response"] = _first_response_due(engine, case, instance, after)
        if case.info_requested_at is not None and case.info_due is not None:
            new["info"] = information_deadline(case.info_requested_at, after)
            # the term runs again after the reply: it can end no later than this
            new["legal"] = after.add_business_days(new["info"], case.legal_days_left or 1)
        else:
            new["legal"] = moved_end(case.legal_due, case.filed_at, day, before, after)
        if case.area_due is not None:
            since = escalated.get(case.id, case.filed_at)
            new["area"] = moved_end(case.area_due, since, day, before, after)
        old = {
            "first_response": case.first_response_due,
            "info": case.info_due,
            "area": case.area_due,
            "legal": case.legal_due,
        }
        shift = CaseShift(case, instance)
        for term, value in new.items():
            if value is not None and old[term] is not None and value != old[term]:
                shift.before[term], shift.after[term] = old[term], value
        if shift.after:
            shifts.append(shift)
    return shifts


def _first_response_due(
    engine: "Engine", case: Case, instance: ProcessInstance, calendar: BusinessCalendar
) -> datetime | None:
    """The first-response deadline as the case's own diagram computes it on ``calendar``: it
    moves only when the owner's timer counts business time (``sumar_horas_habiles``)."""
    bundle = bundle_for(engine.session, instance.deployment_id)
    try:
        return timer_due(
            engine, bundle, cases.CASE_PROCESS, cases.FIRST_RESPONSE_TIMER, case, {}, calendar
        )
    except EngineError:  # the diagram's expression needs data only the filing had: keep it
        return None


def change(engine: "Engine", day: date, user: User, reason: str, adding: bool) -> list[CaseShift]:
    """Add (or remove) the closure and move the deadlines it moves; the caller commits."""
    if "administrador" not in user.group_codes:
        raise NotAllowed("Solo un administrador cambia los cierres.")
    session = engine.session
    existing = session.get(Closure, day)
    reason = reason.strip()
    if adding:
        if existing is not None:
            raise EngineError("Ese día ya está registrado como cierre.")
        if not 3 <= len(reason) <= MAX_REASON:
            raise EngineError(f"Escriba el motivo del cierre (entre 3 y {MAX_REASON} caracteres).")
    elif existing is None:
        raise EngineError("Ese día no está registrado como cierre.")
    shifts = preview(engine, day, adding)
    if adding:
        session.add(Closure(day=day, reason=reason))
    else:
        reason = reason or existing.reason
        session.delete(existing)
    session.flush()
    engine.calendar_changed()
    now = engine.clock.now()
    columns = {
        "first_response": "first_response_due",
        "info": "info_due",
        "area": "area_due",
        "legal": "legal_due",
    }
    for shift in shifts:
        case = shift.case
        for term, value in shift.after.items():
            setattr(case, columns[term], value)
        cases.schedule_reminders(case, engine.calendar)
        run = Run.load(engine, shift.instance, user.id)
        run.log(
            "deadlines_moved",
            label="Cierre" if adding else "Cierre retirado",
            data={
                "dia": day.isoformat(),
                "motivo": reason,
                **{f"{t}_antes": v.isoformat() for t, v in shift.before.items()},
                **{f"{t}_despues": v.isoformat() for t, v in shift.after.items()},
            },
        )
        with clocked(engine.clock):
            if shift.instance.status == "running":
                run.case_changed = True
                run.advance()
            else:
                run.rearm_timers()
        run.save()
    session.add(
        Event(
            instance_id=None,
            case_id=None,
            at=now,
            actor_id=user.id,
            kind="closure_added" if adding else "closure_removed",
            label=day.isoformat(),
            data={"dia": day.isoformat(), "motivo": reason, "casos_movidos": len(shifts)},
        )
    )
    session.flush()
    return shifts


__all__ = ["TERMS", "CaseShift", "change", "preview"]

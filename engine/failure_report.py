"""Reporte de fallas: every missed term (24 h first response, area, legal) and who leads it.

A failure is a ``CaseAlert``: the engine raises one exactly when a term passes unmet. The
process leader who receives it is the area's leader for an area term (the area's group) and
the customer-service coordinator (group ``coordinador``) for the 24 h and legal terms
(seed: "Remite los reportes de fallas a los líderes del proceso").
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import BOGOTA
from engine.models import Case, CaseAlert

TERMS = ("primera_respuesta", "area", "legal")
COORDINATOR = "coordinador"


@dataclass(frozen=True)
class Failure:
    radicado: str
    term: str
    area: str | None
    leader: str  # the group that leads the process for this term
    due: datetime  # when the term ended (the alert's moment)
    met_at: datetime | None  # when the term's work was done, if the record knows it
    late_hours: float | None  # how late: until it was done, or until now if still pending
    pending: bool  # the term's work is still not done
    status: str  # the case's state now
    request_type: str
    service: str


def leader_of(term: str, area: str | None) -> str:
    return area if term == "area" and area else COORDINATOR


def week_of(day: date) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) of the week holding ``day``, in Bogotá."""
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(), tzinfo=BOGOTA)
    return start, start + timedelta(days=7)


def _met(case: Case, term: str) -> datetime | None:
    if term == "primera_respuesta":
        return case.first_response_at
    if term == "legal":
        return case.answered_at or case.withdrawn_at
    return None  # an area's answer is a step of the process, not a column of the record


def _due(case: Case, alert: CaseAlert) -> datetime:
    if alert.term == "primera_respuesta":
        return case.first_response_due
    if alert.term == "legal":
        return case.legal_due
    return alert.raised_at


def failures(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    term: str | None = None,
    leader: str | None = None,
) -> list[Failure]:
    """The terms that ended unmet in [start, end), oldest first, optionally of one term or
    leader. An alert is raised when (or just after) its term ends, so it is looked for from
    ``start`` on, and the term's own end decides the window."""
    query = (
        select(CaseAlert, Case)
        .join(Case, Case.id == CaseAlert.case_id)
        .where(CaseAlert.raised_at >= start)
        .order_by(CaseAlert.raised_at, CaseAlert.id)
    )
    if term:
        query = query.where(CaseAlert.term == term)
    found = []
    for alert, case in session.execute(query):
        who = leader_of(alert.term, alert.area)
        if leader and who != leader:
            continue
        met = _met(case, alert.term)
        due = _due(case, alert)
        if not start <= due < end:
            continue
        pending = met is None and (
            alert.term != "area" or (case.status == "escalado" and case.area == alert.area)
        )
        if met is not None:
            late = (met - due).total_seconds() / 3600
        elif pending:
            late = (now - due).total_seconds() / 3600
        else:
            late = None
        found.append(
            Failure(
                radicado=case.radicado,
                term=alert.term,
                area=alert.area,
                leader=who,
                due=due,
                met_at=met,
                late_hours=round(late, 1) if late is not None else None,
                pending=pending,
                status=case.status,
                request_type=case.request_type,
                service=case.service,
            )
        )
    return sorted(found, key=lambda f: f.due)

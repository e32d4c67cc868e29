"""Figures for the reports the law asks a Colombian entity to publish, from the case records.

- Ley 1474 de 2011, art. 76 (the semiannual PQRS report): requests received, by type, by
  service and by area, time to answer, answered in and out of term, escalated, pending.
- Ley 1712 de 2014 and Decreto 103 de 2015, art. 52 (the information-request report): requests
  for information or documents (``solicitud`` of modality ``documentos``) received, escalated,
  the time taken to answer each one.

Times to answer are calendar days from filing to the answer, which a reader can check against
the two dates; whether an answer was in term follows each case's own legal deadline (business
days, holidays and any prórroga included). A request was transferred to the competent entity
(Ley 1755 de 2015, art. 21) or its access denied (Ley 1712 de 2014, arts. 18 and 19) when the
answer that closed it was written with that template of the protocol in 5.2.14: the last draft
of an answered case, read from the event log.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Case, Event

INFORMATION_TYPE = "solicitud"
INFORMATION_MODALITY = "documentos"
DRAFT_STEP = "ut_5_2_14"
TRANSFERRED = "traslado_por_competencia"
DENIED = "negacion_de_acceso"


@dataclass(frozen=True)
class Answered:
    radicado: str
    filed_at: datetime
    answered_at: datetime | None
    days: float | None  # calendar days from filing to the answer
    in_term: bool | None  # None while the term runs
    escalated: bool
    status: str
    template: str | None  # the protocol template of the answer that closed it


def _cases(session: Session, start: datetime, end: datetime) -> list[Case]:
    return list(
        session.scalars(
            select(Case).where(Case.filed_at >= start, Case.filed_at < end).order_by(Case.filed_at)
        )
    )


def _answer_templates(session: Session, cases: list[Case]) -> dict[int, str]:
    """The template of each answered case's last draft (5.2.14), by case id."""
    answered = [c.id for c in cases if c.answered_at is not None]
    rows = session.execute(
        select(Event.case_id, Event.data)
        .where(
            Event.case_id.in_(answered),
            Event.kind == "task_completed",
            Event.bpmn_id == DRAFT_STEP,
        )
        .order_by(Event.id)
    ).all()
    return {case_id: (data or {}).get("plantilla") for case_id, data in rows}


def _answered(case: Case, now: datetime, template: str | None) -> Answered:
    days = None
    if case.answered_at is not None:
        days = round((case.answered_at - case.filed_at).total_seconds() / 86400, 1)
    if case.answered_at is not None:
        in_term: bool | None = case.answered_at <= case.legal_due
    elif case.withdrawn_at is None and case.legal_due < now:
        in_term = False
    else:
        in_term = None
    return Answered(
        case.radicado,
        case.filed_at,
        case.answered_at,
        days,
        in_term,
        case.escalated,
        case.status,
        template,
    )


def _average(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def pqrs_report(session: Session, start: datetime, end: datetime, now: datetime) -> dict:
    """Ley 1474 de 2011, art. 76."""
    cases = _cases(session, start, end)
    templates = _answer_templates(session, cases)
    rows = [_answered(c, now, templates.get(c.id)) for c in cases]
    return {
        "recibidas": len(cases),
        "por_tipo": dict(Counter(c.request_type for c in cases).most_common()),
        "por_servicio": dict(Counter(c.service for c in cases).most_common()),
        "por_area": dict(Counter(c.area or "" for c in cases).most_common()),
        "respondidas": sum(r.answered_at is not None for r in rows),
        "en_termino": sum(r.in_term is True for r in rows),
        "fuera_de_termino": sum(r.in_term is False for r in rows),
        "en_curso": sum(r.in_term is None for r in rows),
        "escaladas": sum(c.escalated for c in cases),
        "trasladadas": sum(r.template == TRANSFERRED for r in rows),
        "desistidas": sum(c.withdrawn_at is not None for c in cases),
        "dias_promedio": _average([r.days for r in rows if r.days is not None]),
        "dias_promedio_por_tipo": {
            kind: _average(
                [
                    r.days
                    for r, c in zip(rows, cases, strict=True)
                    if c.request_type == kind and r.days is not None
                ]
            )
            for kind in sorted({c.request_type for c in cases})
        },
    }


def information_report(session: Session, start: datetime, end: datetime, now: datetime) -> dict:
    """Ley 1712 de 2014 and Decreto 103 de 2015, art. 52."""
    cases = [
        c
        for c in _cases(session, start, end)
        if c.request_type == INFORMATION_TYPE and c.modality == INFORMATION_MODALITY
    ]
    templates = _answer_templates(session, cases)
    rows = [_answered(c, now, templates.get(c.id)) for c in cases]
    return {
        "recibidas": len(cases),
        "escaladas": sum(c.escalated for c in cases),
        "trasladadas": sum(r.template == TRANSFERRED for r in rows),
        "acceso_negado": sum(r.template == DENIED for r in rows),
        "respondidas": sum(r.answered_at is not None for r in rows),
        "en_termino": sum(r.in_term is True for r in rows),
        "fuera_de_termino": sum(r.in_term is False for r in rows),
        "dias_promedio": _average([r.days for r in rows if r.days is not None]),
        "solicitudes": rows,
    }

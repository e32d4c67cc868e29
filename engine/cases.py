"""The case record: radicado, deadlines, the facts diagrams read as ``caso`` and the
milestones (``hito``) a completed task records on it."""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, object_session

from engine import configuration
from engine.business_calendar import BusinessCalendar
from engine.deadlines import (
    business_days_left,
    business_days_waited,
    business_reminder,
    first_response_reminder,
    information_deadline,
    promised_answer_date,
)
from engine.errors import FormInvalid, NotAllowed
from engine.models import Attachment, Case, CaseAlert, Closure, Event, RadicadoCounter, User
from engine.models.cases import ANSWER, CITIZEN_FILED

RADICADO_PREFIX = "AV"
CASE_PROCESS = "caso_pqrs"
# The case diagram's first-response alert: its timer expression is the first-response rule
# (e.g. ``sumar_horas(caso['radicado_en'], 24)``), and the case records when it falls due.
FIRST_RESPONSE_TIMER = "tm_alerta_primera"
ANSWER_FILES = "adjuntos_respuesta"  # the 5.2.14 form's files sent with the answer
FILING_STEP = "5.2.5 Radicar la solicitud, queja, reclamo o felicitación"

# How a request can arrive (seed: canales de atención); the portal is the citizen's own.
CHANNELS = {
    "portal": "Portal web",
    "correo": "Correo electrónico",
    "telefono": "Teléfono",
    "presencial": "Presencial",
    "chat": "Chat",
}


def next_radicado(session: Session, year: int) -> str:
    """The next radicado of the year, e.g. ``AV-2026-000123``.

    The counter row is incremented in the caller's transaction: concurrent filings queue on its
    row lock (PostgreSQL) or the write lock (SQLite), and a rolled-back filing gives its number
    back, so the sequence has no gap and no duplicate.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(RadicadoCounter).values(year=year, last=0).on_conflict_do_nothing())
    number = session.execute(
        update(RadicadoCounter)
        .where(RadicadoCounter.year == year)
        .values(last=RadicadoCounter.last + 1)
        .returning(RadicadoCounter.last)
    ).scalar_one()
    return f"{RADICADO_PREFIX}-{year}-{number:06d}"


def calendar_for(session: Session) -> BusinessCalendar:
    return BusinessCalendar(session.scalars(select(Closure.day)))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def schedule_reminders(case: Case, calendar: BusinessCalendar) -> None:
    """Set the reminder times that go with the case's first-response, legal and area deadlines
    (their leads are settings: engine.configuration)."""
    session = object_session(case)
    case.first_response_reminder_at = (
        _first_response_reminder(case) if case.first_response_due else None
    )
    legal_days = configuration.value(session, configuration.LEGAL_REMINDER_DAYS)
    area_days = configuration.value(session, configuration.AREA_REMINDER_DAYS)
    case.legal_reminder_at = business_reminder(case.legal_due, calendar, legal_days)
    case.area_reminder_at = (
        business_reminder(case.area_due, calendar, area_days) if case.area_due else None
    )


def _first_response_reminder(case: Case) -> datetime:
    hours = configuration.value(object_session(case), configuration.FIRST_RESPONSE_REMINDER_HOURS)
    return first_response_reminder(case.first_response_due, timedelta(hours=hours))


def facts(case: Case) -> dict[str, Any]:
    """What scripts, conditions and timers see as ``caso`` (deadlines as ISO 8601 with offset)."""
    return {
        "radicado": case.radicado,
        "tipo": case.request_type,
        "estado": case.status,
        "area": case.area,
        "prorrogado": case.extended_at is not None,
        "primera_respuesta_en": _iso(case.first_response_at),
        "forma_primera_respuesta": case.first_response_kind,
        "respuesta_prometida_para": _iso(case.answer_promised_by),
        "suspendido": case.info_requested_at is not None,
        "vence_informacion": _iso(case.info_due),
        "respuesta_final_en": _iso(case.answered_at),
        "radicado_en": _iso(case.filed_at),
        "vence_primera_respuesta": _iso(case.first_response_due),
        "recordar_primera_respuesta": _iso(
            case.first_response_reminder_at
            # cases filed before the reminder was kept with them
            or (_first_response_reminder(case) if case.first_response_due else None)
        ),
        "vence_legal": _iso(case.legal_due),
        "recordar_legal": _iso(case.legal_reminder_at),
        "vence_area": _iso(case.area_due),
        "recordar_area": _iso(case.area_reminder_at),
    }


def pending_deadline(case: Case) -> datetime:
    """The earliest deadline still open on the case: what the inbox sorts by."""
    if case.info_requested_at is not None and case.info_due is not None:
        return case.info_due  # the term is suspended: only the citizen's reply is awaited
    deadlines = [case.legal_due]
    if case.first_response_at is None:
        deadlines.append(case.first_response_due)
    if case.status == "escalado" and case.area_due is not None:
        deadlines.append(case.area_due)
    return min(deadlines)


# --- milestones: hito name -> what completing such a task records on the case -------------


FIRST_RESPONSE_KINDS = ("respuesta", "fecha", "escalamiento")


def _record_first_response(case: Case, kind: str, now: datetime) -> None:
    """The first of the three kinds of first response (seed §4) stops the 24-hour clock."""
    if case.first_response_at is None:
        case.first_response_at = now
        case.first_response_kind = kind


def _first_response(
    case: Case, data: dict[str, Any], props: dict[str, str], ctx: "Milestone"
) -> None:
    _record_first_response(case, props.get("forma", "respuesta"), ctx.now)


def _interim_answer(
    case: Case, data: dict[str, Any], props: dict[str, str], ctx: "Milestone"
) -> None:
    """The date on which the answer will be given, never beyond the legal term."""
    raw = data.get("fecha_informada")
    try:
        chosen = date.fromisoformat(str(raw))
    except ValueError:
        message = "Indique la fecha en que se dará respuesta."
        raise FormInvalid({"fecha_respuesta": message}) from None
    promised, refusal = promised_answer_date(chosen, ctx.now, case.legal_due)
    if refusal is not None:
        raise FormInvalid({"fecha_respuesta": refusal})
    case.answer_promised_by = promised
    case.interim_answer = data.get("respuesta_informada")
    _record_first_response(case, "fecha", ctx.now)


def _information_requested(
    case: Case, data: dict[str, Any], props: dict[str, str], ctx: "Milestone"
) -> None:
    """Ley 1755 art. 17: the legal term stops until the citizen replies (at most a month).

    Until then ``legal_due`` holds the latest the term can end (a reply on the last day), so
    the legal timers need no special case; the reply sets the real date."""
    case.info_request = data.get("solicitud_informacion")
    case.info_requested_at = ctx.now
    case.info_due = information_deadline(ctx.now, ctx.calendar)
    case.legal_days_left = business_days_left(ctx.now, case.legal_due, ctx.calendar)
    case.legal_due = ctx.calendar.add_business_days(case.info_due, case.legal_days_left)
    schedule_reminders(case, ctx.calendar)
    case.status = "esperando_usuario"


def _information_supplied(
    case: Case, data: dict[str, Any], props: dict[str, str], ctx: "Milestone"
) -> None:
    """The term runs again from the reply: moved by the business days it waited."""
    if case.info_requested_at is None:
        return
    case.suspended_days = (case.suspended_days or 0) + business_days_waited(
        case.info_requested_at, ctx.now, ctx.calendar
    )
    case.legal_due = ctx.calendar.add_business_days(ctx.now, case.legal_days_left or 1)
    schedule_reminders(case, ctx.calendar)
    case.info_requested_at = None
    case.legal_days_left = None
    case.status = "en_tramite"


def _withdrawn(case: Case, data: dict[str, Any], props: dict[str, str], ctx: "Milestone") -> None:
    """Desistimiento tácito: no reply within the month; the request is closed."""
    case.withdrawn_at = ctx.now
    case.status = "desistido"


def _escalation(case: Case, data: dict[str, Any], props: dict[str, str], ctx: "Milestone") -> None:
    case.area = data["area"]
    case.area_due = ctx.calendar.add_business_days(ctx.now, int(data["dias_area"]))
    schedule_reminders(case, ctx.calendar)
    case.escalated = True
    case.status = "escalado"


def _returned(case: Case, data: dict[str, Any], props: dict[str, str], ctx: "Milestone") -> None:
    case.area = None
    case.area_due = None
    case.area_reminder_at = None
    case.status = "en_tramite"


def _area_answered(
    case: Case, data: dict[str, Any], props: dict[str, str], ctx: "Milestone"
) -> None:
    case.status = "en_tramite"


def _review(case: Case, data: dict[str, Any], props: dict[str, str], ctx: "Milestone") -> None:
    case.reviewed = True


def _classification(
    case: Case, data: dict[str, Any], props: dict[str, str], ctx: "Milestone"
) -> None:
    case.classification = data.get("tipificacion")


def _final_answer(
    case: Case, data: dict[str, Any], props: dict[str, str], ctx: "Milestone"
) -> None:
    case.answered_at = ctx.now
    _record_first_response(case, "respuesta", ctx.now)
    case.answer = data.get("respuesta")
    case.status = "respondido"
    release_answer_files(ctx.session, case, answer_file_ids(ctx.session, case.id))


def answer_file_ids(session: Session, case_id: int) -> list[int]:
    """The files of the latest answer draft (5.2.14), from the event log."""
    drafts = session.scalars(
        select(Event.data)
        .where(Event.case_id == case_id, Event.kind == "task_completed")
        .order_by(Event.at.desc(), Event.id.desc())
    )
    for data in drafts:
        if data and data.get("respuesta"):
            return [int(i) for i in data.get(ANSWER_FILES) or [] if str(i).isdigit()]
    return []


def release_answer_files(session: Session, case: Case, ids: list[int]) -> None:
    """The files of the answer as sent become the citizen's; earlier drafts' stay internal."""
    if not ids:
        return
    session.execute(
        update(Attachment)
        .where(Attachment.case_id == case.id, Attachment.id.in_(ids))
        .values(visibility=ANSWER)
    )


def _alert(case: Case, data: dict[str, Any], props: dict[str, str], ctx: "Milestone") -> None:
    term = props.get("plazo", "legal")
    ctx.session.add(CaseAlert(case_id=case.id, term=term, area=case.area, raised_at=ctx.now))


MILESTONES: dict[str, Callable[..., None]] = {
    "primera_respuesta": _first_response,
    "fecha_respuesta": _interim_answer,
    "solicitud_informacion": _information_requested,
    "informacion_aportada": _information_supplied,
    "desistimiento": _withdrawn,
    "escalamiento": _escalation,
    "devolucion": _returned,
    "respuesta_area": _area_answered,
    "revision": _review,
    "tipificacion": _classification,
    "respuesta_final": _final_answer,
    "alerta": _alert,
}


class Milestone:
    """Context a milestone needs: the session, the time, the business calendar."""

    def __init__(self, session: Session, now: datetime, calendar: BusinessCalendar) -> None:
        self.session, self.now, self.calendar = session, now, calendar

    def record(self, case: Case, hito: str, data: dict[str, Any], props: dict[str, str]) -> None:
        MILESTONES[hito](case, data, props, self)


def attach_files(session: Session, case: Case, citizen: User, ids: list[str]) -> None:
    """Link the citizen's uploaded attachments to the case they filed."""
    for attachment_id in ids:
        attachment = session.get(Attachment, int(attachment_id))
        if attachment is None or attachment.uploaded_by_id != citizen.id or attachment.case_id:
            raise NotAllowed("Uno de los adjuntos no existe o no le pertenece.")
        attachment.case_id = case.id
        attachment.visibility = CITIZEN_FILED
        attachment.step = FILING_STEP

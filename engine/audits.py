"""The weekly quality audit's rules: how many cases, what the case record says about each,
and how a filled F182 scores against the decision table the process owners keep.

- Sample size: Cochran's formula for a proportion (worst case p = 0.5) at the diagram's
  confidence and margin, with the finite-population correction for the week's answered cases.
- Facts: what the F182 asks that the case record knows (dates, terms, type, service, area,
  how many times the case was worked, the answer, the channel).
- Scoring: the DMN table ``calificacion_f182`` (bpmn/calificacion_f182.dmn) gives, for each
  criterion and value, the points, the criterion's maximum and whether it is an inconsistency.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import definitions, schedules
from engine.clock import BOGOTA
from engine.models import AuditCase, AuditReport, Case, Event, ProcessInstance, User
from engine.sandbox import RestrictedEnvironment

if TYPE_CHECKING:
    from engine.runtime import Engine

WEEK = timedelta(days=7)

NO_CASES = "Sin casos respondidos en la semana."
SCORING_DECISION = "calificacion_f182"
ANSWER_STEP = "ut_5_2_14"  # who drafted the answer the citizen received
CHAT = "chat"

# The F182 criteria scored for every case, and the ones of its Chat section.
CRITERIA = (
    "respuesta_en_24h",
    "respuesta_en_termino",
    "agente_efectivo",
    "calidad_redaccion_ortografia",
)
CHAT_CRITERIA = (
    "chat_tiempo_espera_min",
    "chat_respuesta_efectiva",
    "chat_calidad_redaccion_ortografia",
    "chat_registrado_crm",
)
# Short names for chart axes (14 characters at most).
CRITERION_SHORT = {
    "respuesta_en_24h": "Resp. a tiempo",
    "respuesta_en_termino": "Término legal",
    "agente_efectivo": "Agente",
    "calidad_redaccion_ortografia": "Redacción",
    "chat_tiempo_espera_min": "Chat: espera",
    "chat_respuesta_efectiva": "Chat: efectiva",
    "chat_calidad_redaccion_ortografia": "Chat: redacción",
    "chat_registrado_crm": "Chat: CRM",
}
CHANNEL_TITLES = {
    "portal": "Portal web",
    "correo": "Correo electrónico",
    "telefono": "Teléfono",
    "presencial": "Presencial",
    "chat": "Chat",
}
CRITERION_TITLES = {
    "respuesta_en_24h": "Primera respuesta a tiempo",
    "respuesta_en_termino": "Respuesta final en el término legal",
    "agente_efectivo": "Agente efectivo en la respuesta",
    "calidad_redaccion_ortografia": "Redacción y ortografía",
    "chat_tiempo_espera_min": "Chat: tiempo de espera",
    "chat_respuesta_efectiva": "Chat: respuesta efectiva",
    "chat_calidad_redaccion_ortografia": "Chat: redacción y ortografía",
    "chat_registrado_crm": "Chat: registro en CRM",
}


def sample_size(population: int, confidence: float, margin: float) -> int:
    """Cases to audit out of ``population`` for a proportion at ``confidence`` ± ``margin``."""
    if population <= 0:
        return 0
    if not 0 < confidence < 1 or not 0 < margin < 1:
        raise ValueError("La confianza y el margen de error deben estar entre 0 y 1.")
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    infinite = z * z * 0.25 / (margin * margin)
    return min(population, math.ceil(infinite / (1 + (infinite - 1) / population)))


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(BOGOTA).isoformat(timespec="minutes") if moment else None


def case_channel(case: Case) -> str:
    """The channel the case came through; cases recorded before channels existed: portal."""
    return str(getattr(case, "channel", None) or "portal")


def case_facts(session: Session, case: Case, labels: Callable[[str, str], str]) -> dict[str, Any]:
    """What the F182 asks that the case record knows; ``labels(field, code)`` names codes."""
    citizen = session.get(User, case.citizen_id)
    touched = session.scalar(  # the staff's steps on the case (not the citizen's portal steps)
        select(func.count())
        .select_from(Event)
        .join(User, User.id == Event.actor_id)
        .where(Event.case_id == case.id, Event.kind == "task_completed", User.kind == "staff")
    )
    drafter = session.scalar(
        select(User.full_name)
        .join(Event, Event.actor_id == User.id)
        .where(Event.case_id == case.id, Event.bpmn_id == ANSWER_STEP)
        .order_by(Event.id.desc())
        .limit(1)
    )
    first_ok = case.first_response_at is not None and case.first_response_at <= (
        case.first_response_due
    )
    final_ok = case.answered_at is not None and case.answered_at <= case.legal_due
    channel = case_channel(case)
    return {
        "radicado": case.radicado,
        "canal": channel,
        "tipo": labels("tipo", case.request_type),
        "servicio": labels("servicio", case.service),
        "area": labels("area", case.area) if case.area else "Sin escalamiento",
        "fecha_ingreso": _iso(case.filed_at),
        "cedula": citizen.document_number if citizen else "",
        "fecha_hora_primera_respuesta": _iso(case.first_response_at),
        "respuesta_en_24h": first_ok,
        "fecha_hora_respuesta": _iso(case.answered_at),
        "respuesta_en_termino": final_ok,
        "veces_registrado_crm": int(touched or 0),
        "funcionario_responsable": drafter or "Sin registro",
        "texto_respuesta": case.answer or "",
        "incluye_chat": channel == CHAT,
    }


def record_sample(
    session: Session,
    instance_id: int,
    period_start: datetime,
    sample: dict[str, Any],
    now: datetime,
) -> AuditReport:
    """The audit's row and its sampled cases (idempotent: a redelivered job finds them)."""
    audit = session.scalar(select(AuditReport).where(AuditReport.instance_id == instance_id))
    if audit is not None:
        return audit
    audit = AuditReport(
        instance_id=instance_id,
        period_start=period_start,
        since=datetime.fromisoformat(sample["desde"]),
        until=datetime.fromisoformat(sample["hasta"]),
        population=sample["poblacion"],
        sample_size=len(sample["muestra"]),
        sampling={k: sample[k] for k in ("confianza", "margen_error", "estratos")},
        # With nothing sampled the diagram ends the audit here (gateway gw_hay_casos).
        narrative=None if sample["muestra"] else NO_CASES,
        created_at=now,
        updated_at=now,
    )
    session.add(audit)
    session.flush()
    ids = session.scalars(select(Case.id).where(Case.radicado.in_(sample["muestra"]))).all()
    session.add_all(AuditCase(audit_id=audit.id, case_id=case_id) for case_id in ids)
    return audit


def sampled_for_audit(session: Session, case_id: int) -> bool:
    return session.scalar(select(AuditCase.case_id).where(AuditCase.case_id == case_id)) is not None


# --- scoring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    name: str
    points: float
    maximum: float
    inconsistency: bool
    finding: str  # what the table says was found, when it is an inconsistency


Decide = Callable[[str, dict[str, Any]], dict[str, Any]]


def score_record(record: dict[str, Any], decide: Decide) -> dict[str, Any]:
    """One F182 record scored by the decision table: points per criterion, 0–100 overall."""
    names = CRITERIA + (CHAT_CRITERIA if record.get("incluye_chat") else ())
    chat = record.get("chat") or {}
    criteria = []
    for name in names:
        value = chat.get(name, record.get(name)) if name.startswith("chat_") else record.get(name)
        row = decide(SCORING_DECISION, {"criterio": name, "valor": value})
        if not row:
            continue
        criteria.append(
            Criterion(
                name,
                float(row.get("puntos") or 0),
                float(row.get("maximo") or 0),
                bool(row.get("inconsistencia")),
                str(row.get("hallazgo") or ""),
            )
        )
    top = sum(c.maximum for c in criteria)
    score = round(100 * sum(c.points for c in criteria) / top, 1) if top else 0.0
    return {
        "radicado": record.get("radicado"),
        "puntaje": score,
        "criterios": {
            c.name: {"puntos": c.points, "maximo": c.maximum, "inconsistencia": c.inconsistency}
            for c in criteria
        },
        "inconsistencias": [c.finding for c in criteria if c.inconsistency],
    }


# --- starting and reading audits --------------------------------------------------------------

AUDIT_PROCESS = "auditoria_calidad"


class AuditNotPossible(ValueError):
    """A week that cannot be audited (not over yet, before the schedule's start)."""


def period_covering(cycle: str, day: date) -> datetime | None:
    """The start of the audit period whose week (the seven days before it) holds ``day``."""
    noon = datetime.combine(day, time(12), BOGOTA)
    return schedules.current_period(cycle, noon + WEEK)


def start_for_week(engine: "Engine", day: date, actor_id: int) -> tuple[ProcessInstance, bool]:
    """The audit of the week holding ``day``: the one already started, or a new one (True).

    Keyed like the weekly schedule's (``auditoria_calidad@<period>``), so a week is audited
    once whoever starts it."""
    bundle = definitions.latest_bundle(engine.session)
    cycle = bundle.start_cycles.get(AUDIT_PROCESS)
    if cycle is None:
        raise AuditNotPossible("El proceso de auditoría desplegado no tiene ciclo semanal.")
    period = period_covering(RestrictedEnvironment({}).evaluate(cycle, {}), day)
    if period is None:
        raise AuditNotPossible("Esa semana es anterior al inicio de las auditorías.")
    if period > engine.clock.now():
        raise AuditNotPossible("Esa semana aún no ha terminado; elija una semana pasada.")
    key = f"{AUDIT_PROCESS}@{period.isoformat()}"
    found = engine.session.scalar(
        select(ProcessInstance).where(ProcessInstance.business_key == key)
    )
    if found is not None:
        return found, False
    started = engine.start(AUDIT_PROCESS, {"periodo": period.isoformat()}, key, actor_id=actor_id)
    return started, True


def audit_of_instance(session: Session, instance_id: int) -> AuditReport | None:
    return session.scalar(select(AuditReport).where(AuditReport.instance_id == instance_id))


def week_label(period_start: datetime) -> str:
    """«semana del 9 mar al 15 mar 2026»: the week (Monday to Sunday) before the audit's start."""
    end = (period_start.astimezone(BOGOTA) - timedelta(days=1)).date()
    start = end - timedelta(days=6)
    return (
        f"semana del {format_date(start, 'd MMM', locale='es_CO')} al "
        f"{format_date(end, 'd MMM y', locale='es_CO')}"
    )


def business_key_label(key: str) -> str:
    """An audit's business key (``auditoria_calidad@<period>``) as people read it."""
    process, _, period = key.partition("@")
    if process != AUDIT_PROCESS or not period:
        return key
    try:
        return f"Auditoría de la {week_label(datetime.fromisoformat(period))}"
    except ValueError:
        return key

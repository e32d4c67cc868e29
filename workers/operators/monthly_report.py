"""Informe mensual 5.2.23: the contract indicators of the previous month, from the cases table.

Every figure is computed from the rows: volumes by type, service and area; % first response
within its 24 h deadline; % answered within the legal term; average and p90 times; %
escalated; % reviewed by quality (against the configured share, never below the seed's 50 %);
missed-deadline alerts; the overdue list; the breakdown by classification (5.2.16); the
weekly audit ratings of the month; and the same rates month by month for the trend charts.

Run again after 5.2.25 (``anterior`` = the report under review, ``ajustes`` = what the Agente
changed), the report lists which figures changed since the last review and carries the
adjustments as annotations. Every run builds the XLSX and the PDF (``workers.documents.
monthly_report``) and keeps them with the month (``report_files``).
"""

import math
from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from engine import configuration, satisfaction
from engine.cases import CHANNELS
from engine.clock import BOGOTA
from engine.models import Case, CaseAlert, Event, ProcessInstance
from workers.documents import monthly_report as monthly_documents
from workers.jobs import Job
from workers.labels import Labels
from workers.operators.audit_sample import reference_moment

OVERDUE_LIST_LIMIT = 500
TREND_MONTHS = 6


def month_before(moment: datetime) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of the month before ``moment`` (Bogotá)."""
    local = moment.astimezone(BOGOTA)
    end = datetime.combine(local.date().replace(day=1), time(), tzinfo=BOGOTA)
    start = datetime.combine((end - timedelta(days=1)).date().replace(day=1), time(), tzinfo=BOGOTA)
    return start, end


def month_starting(start: datetime, months_back: int) -> tuple[datetime, datetime]:
    """The month ``months_back`` months before the one starting at ``start`` (Bogotá)."""
    year, month = start.year, start.month - months_back
    while month < 1:
        month += 12
        year -= 1
    first = datetime(year, month, 1, tzinfo=BOGOTA)
    following = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=BOGOTA)
    return first, following


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (``share`` in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def _stats(values: list[float]) -> dict[str, float | int | None]:
    return {
        "casos": len(values),
        "promedio_horas": round(sum(values) / len(values), 1) if values else None,
        "p50_horas": round(percentile(values, 50), 1) if values else None,
        "p90_horas": round(percentile(values, 90), 1) if values else None,
    }


def _cases_filed(session: Session, start: datetime, end: datetime) -> list[Case]:
    return list(
        session.scalars(
            select(Case).where(Case.filed_at >= start, Case.filed_at < end).order_by(Case.filed_at)
        ).all()
    )


def _first_response(cases: list[Case], now: datetime) -> tuple[list[Case], list[Case]]:
    """(cases whose 24 h term is due or met, those met in term)."""
    due = [c for c in cases if c.first_response_at is not None or c.first_response_due < now]
    # Any of the seed's three kinds counts: the answer, the date of the answer, the escalation.
    ok = [c for c in due if c.first_response_at and c.first_response_at <= c.first_response_due]
    return due, ok


def _legal_term(cases: list[Case], now: datetime) -> tuple[list[Case], list[Case]]:
    """(cases whose legal term is due or answered, those answered in term)."""
    # A withdrawn request (desistimiento tácito) has no legal term left to meet.
    due = [
        c
        for c in cases
        if c.answered_at is not None or (c.legal_due < now and c.withdrawn_at is None)
    ]
    ok = [c for c in due if c.answered_at and c.answered_at <= c.legal_due]
    return due, ok


def _trend(session: Session, start: datetime, now: datetime) -> list[dict[str, Any]]:
    """The two timeliness rates and the volume of each of the last months, oldest first."""
    months = []
    for back in range(TREND_MONTHS - 1, -1, -1):
        first, following = month_starting(start, back)
        cases = _cases_filed(session, first, following)
        first_due, first_ok = _first_response(cases, now)
        legal_due, legal_ok = _legal_term(cases, now)
        months.append(
            {
                "periodo": first.strftime("%Y-%m"),
                "casos": len(cases),
                "primera_respuesta_24h": _pct(len(first_ok), len(first_due)),
                "termino_legal": _pct(len(legal_ok), len(legal_due)),
            }
        )
    return months


def _audit_ratings(session: Session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The service rating of each weekly audit (F182) whose week starts in the month."""
    rows = session.execute(
        select(ProcessInstance.business_key, Event.data)
        .join(Event, Event.instance_id == ProcessInstance.id)
        .where(
            ProcessInstance.process_id == "auditoria_calidad",
            Event.kind == "service_completed",
            Event.at >= start,  # an audit's report is written after its week began
        )
        .order_by(Event.id)
    ).all()
    ratings: dict[str, dict[str, Any]] = {}
    for key, data in rows:
        week = _period_start(key)
        figures = (data or {}).get("datos") if isinstance(data, dict) else None
        if week is None or not (start <= week < end) or not isinstance(figures, dict):
            continue
        if figures.get("calificacion_servicio") is None:
            continue
        ratings[week.date().isoformat()] = {
            "semana": week.date().isoformat(),
            "calificacion": figures.get("calificacion_servicio"),
            "casos_auditados": figures.get("casos_auditados"),
        }
    return [ratings[k] for k in sorted(ratings)]


def _period_start(business_key: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat((business_key or "").partition("@")[2])
    except ValueError:
        return None


def prepare(job: Job) -> dict[str, Any]:
    start, end = month_before(reference_moment(job))
    now = job.ctx.clock.now()
    session = job.session
    labels = Labels(session)
    cases = _cases_filed(session, start, end)

    total = len(cases)
    first_due, first_ok = _first_response(cases, now)
    legal_due, legal_ok = _legal_term(cases, now)
    answered = [c for c in cases if c.answered_at is not None]
    reviewed = [c for c in answered if c.reviewed]
    escalated = [c for c in cases if c.escalated]
    review_share = _pct(len(reviewed), len(answered))
    review_floor = configuration.review_share(session)

    alerts = Counter(
        term
        for (term,) in session.execute(
            select(CaseAlert.term).where(CaseAlert.raised_at >= start, CaseAlert.raised_at < end)
        )
    )
    overdue_rows = session.scalars(
        select(Case)
        .where(
            or_(
                and_(
                    Case.answered_at.is_(None),
                    Case.withdrawn_at.is_(None),
                    Case.legal_due < min(end, now),
                ),
                and_(
                    Case.answered_at >= start,
                    Case.answered_at < end,
                    Case.answered_at > Case.legal_due,
                ),
            )
        )
        .order_by(Case.legal_due)
    ).all()
    overdue_total = len(overdue_rows)
    overdue = [
        {
            "radicado": c.radicado,
            "tipo": labels.of("tipo", c.request_type),
            "servicio": labels.of("servicio", c.service),
            "area": labels.group(c.area) if c.area else None,
            "vence_legal": c.legal_due.isoformat(),
            "respondido_en": c.answered_at.isoformat() if c.answered_at else None,
            "dias_vencido": ((c.answered_at or now) - c.legal_due).days,
        }
        for c in overdue_rows[:OVERDUE_LIST_LIMIT]
    ]

    def volumes(field: str, attr: str) -> dict[str, int]:
        counts = Counter(getattr(c, attr) for c in cases)
        name = labels.group if field == "area" else (lambda code: labels.of(field, code))
        return {(name(code) if code else "Sin escalar"): n for code, n in counts.most_common()}

    report = {
        "periodo": start.strftime("%Y-%m"),
        "desde": start.isoformat(),
        "hasta": end.isoformat(),
        "calculado_en": now.isoformat(),
        "casos_radicados": total,
        "por_tipo": volumes("tipo", "request_type"),
        "por_servicio": volumes("servicio", "service"),
        "por_area": volumes("area", "area"),
        "por_canal": {
            CHANNELS.get(code, code): n
            for code, n in Counter(c.channel or "portal" for c in cases).most_common()
        },
        "primera_respuesta_24h": {
            "evaluados": len(first_due),
            "cumplidos": len(first_ok),
            "porcentaje": _pct(len(first_ok), len(first_due)),
            "por_forma": dict(Counter(c.first_response_kind or "respuesta" for c in first_ok)),
        },
        "respuesta_en_termino_legal": {
            "evaluados": len(legal_due),
            "cumplidos": len(legal_ok),
            "porcentaje": _pct(len(legal_ok), len(legal_due)),
        },
        "tiempo_primera_respuesta": _stats(
            [_hours(c.filed_at, c.first_response_at) for c in cases if c.first_response_at]
        ),
        "tiempo_respuesta_final": _stats([_hours(c.filed_at, c.answered_at) for c in answered]),
        "escalados": {"casos": len(escalated), "porcentaje": _pct(len(escalated), total)},
        "revision_calidad": {
            "respondidos": len(answered),
            "revisados": len(reviewed),
            "porcentaje": review_share,
            "minimo": review_floor,
            "cumple_minimo": review_share is None or review_share >= review_floor,
        },
        "alertas": dict(sorted(alerts.items())),
        "vencidos": {"total": overdue_total, "casos": overdue},
        "prorrogados": sum(1 for c in cases if c.extended_at is not None),
        "desistidos": sum(1 for c in cases if c.withdrawn_at is not None),
        "pendientes": session.scalar(
            select(func.count(Case.id)).where(
                Case.filed_at < end, Case.answered_at.is_(None), Case.withdrawn_at.is_(None)
            )
        ),
        "por_clasificacion": {
            (labels.of("tipificacion", code) if code else "Sin tipificar"): n
            for code, n in Counter(c.classification for c in answered).most_common()
        },
        "tendencia": _trend(session, start, now),
        "auditorias": _audit_ratings(session, start, end),
        "satisfaccion": satisfaction.summary(session, start, end),
    }
    report["ajustes"] = _adjustments(job)
    report["cambios"] = changes(job.params.get("anterior"), report)
    report["comparado"] = bool(job.params.get("anterior"))
    return report


def _adjustments(job: Job) -> list[str]:
    """The adjustments of 5.2.25 so far: earlier ones carried by the previous report, and this
    round's text."""
    previous = job.params.get("anterior")
    earlier = list(_report_of(previous).get("ajustes") or []) if previous else []
    text = str(job.params.get("ajustes") or "").strip()
    return [*earlier, text] if text else earlier


def _report_of(value: Any) -> dict[str, Any]:
    if isinstance(value, dict) and isinstance(value.get("reporte"), dict):
        return value["reporte"]
    return value if isinstance(value, dict) else {}


# (label, path into the report) of the headline figures a reviewer compares between rounds.
HEADLINE = (
    ("Casos radicados", ("casos_radicados",)),
    ("Primera respuesta a tiempo (%)", ("primera_respuesta_24h", "porcentaje")),
    ("Respuesta en término legal (%)", ("respuesta_en_termino_legal", "porcentaje")),
    ("Tiempo de respuesta final, p50 (h)", ("tiempo_respuesta_final", "p50_horas")),
    ("Tiempo de respuesta final, p90 (h)", ("tiempo_respuesta_final", "p90_horas")),
    ("Escalados (%)", ("escalados", "porcentaje")),
    ("Revisados por calidad (%)", ("revision_calidad", "porcentaje")),
    ("Casos vencidos", ("vencidos", "total")),
    ("Casos pendientes", ("pendientes",)),
)


def figure(report: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = report
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def changes(previous: Any, report: dict[str, Any]) -> list[dict[str, Any]]:
    """The headline figures that differ from the report reviewed last time."""
    before = _report_of(previous)
    if not before:
        return []
    return [
        {"indicador": label, "antes": figure(before, path), "ahora": figure(report, path)}
        for label, path in HEADLINE
        if figure(before, path) != figure(report, path)
    ]


def perform(job: Job, report: dict[str, Any]) -> dict[str, Any]:
    texts = {key: job.params.get(key) for key in ("comentarios", "resumen", "conclusiones")}
    files = monthly_documents.store(
        job.ctx.db_engine, job.key, job.instance_id, report, texts, job.ctx.clock.now()
    )
    return {"reporte": report, "texto": summary(report), "archivos": files}


def _fmt(value: float | None, unit: str = " %") -> str:
    return "—" if value is None else f"{value:.1f}{unit}".replace(".", ",")


def summary(r: dict[str, Any]) -> str:
    review = r["revision_calidad"]
    final = r["tiempo_respuesta_final"]
    lines = [
        f"Indicadores de Atención Virtual – {r['periodo']}",
        f"Casos radicados: {r['casos_radicados']} "
        f"({', '.join(f'{k}: {v}' for k, v in r['por_tipo'].items()) or 'ninguno'}).",
        f"Primera respuesta dentro de su plazo: {_fmt(r['primera_respuesta_24h']['porcentaje'])}.",
        f"Respuesta dentro del término legal: "
        f"{_fmt(r['respuesta_en_termino_legal']['porcentaje'])}.",
        f"Tiempo de respuesta final: promedio {_fmt(final['promedio_horas'], ' h')}, "
        f"p90 {_fmt(final['p90_horas'], ' h')}.",
        f"Escalados: {_fmt(r['escalados']['porcentaje'])}.",
        f"Revisados por calidad: {_fmt(review['porcentaje'])}"
        + ("" if review["cumple_minimo"] else f" (por debajo del mínimo del {review['minimo']} %)")
        + ".",
        f"Casos vencidos: {r['vencidos']['total']}.",
    ]
    return "\n".join(lines)

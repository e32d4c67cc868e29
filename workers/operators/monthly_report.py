"""Informe mensual 5.2.23: the contract indicators of the previous month, from the cases table.

Every figure is computed from the rows: volumes by type, service and area; % first response
within its 24 h deadline; % answered within the legal term; average and p90 times; %
escalated; % reviewed by quality (against the configured share, never below the seed's 50 %);
missed-deadline alerts; and the overdue list.
"""

import math
from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from engine import configuration
from engine.clock import BOGOTA
from engine.models import Case, CaseAlert
from workers.jobs import Job
from workers.labels import Labels
from workers.operators.audit_sample import reference_moment

OVERDUE_LIST_LIMIT = 500


def month_before(moment: datetime) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of the month before ``moment`` (Bogotá)."""
    local = moment.astimezone(BOGOTA)
    end = datetime.combine(local.date().replace(day=1), time(), tzinfo=BOGOTA)
    start = datetime.combine((end - timedelta(days=1)).date().replace(day=1), time(), tzinfo=BOGOTA)
    return start, end


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
        "p90_horas": round(percentile(values, 90), 1) if values else None,
    }


def prepare(job: Job) -> dict[str, Any]:
    start, end = month_before(reference_moment(job))
    now = job.ctx.clock.now()
    session = job.session
    labels = Labels(session)
    cases = session.scalars(
        select(Case).where(Case.filed_at >= start, Case.filed_at < end).order_by(Case.filed_at)
    ).all()

    total = len(cases)
    first_due = [c for c in cases if c.first_response_at is not None or c.first_response_due < now]
    # Any of the seed's three kinds counts: the answer, the date of the answer, the escalation.
    first_ok = [
        c for c in first_due if c.first_response_at and c.first_response_at <= c.first_response_due
    ]
    # A withdrawn request (desistimiento tácito) has no legal term left to meet.
    legal_due = [
        c
        for c in cases
        if c.answered_at is not None or (c.legal_due < now and c.withdrawn_at is None)
    ]
    legal_ok = [c for c in legal_due if c.answered_at and c.answered_at <= c.legal_due]
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
    }
    return report


def perform(job: Job, report: dict[str, Any]) -> dict[str, Any]:
    return {"reporte": report, "texto": summary(report)}


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

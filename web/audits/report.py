"""What the audit pages and the audit's task pages show: the report model and its charts.

The figures are the worker's report model (``audit_reports.data``); charts are drawn here as
inline SVG (no script: the pages keep their CSP), bars on a 0–100 scale.
"""

from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import select

from engine import audits
from engine.models import AuditReport, ProcessInstance
from web.extensions import db


@dataclass
class Bar:
    label: str
    value: float
    y: int
    width: float


@dataclass
class AuditView:
    audit: AuditReport
    instance: ProcessInstance
    data: dict[str, Any]
    criteria: list[Bar]
    trend: list[Bar]
    pdf_url: str | None
    case_urls: dict[str, str]


CHART_WIDTH = 400  # the bars' full length, in the SVG's units
ROW = 40


def bars(rows: list[tuple[str, float]]) -> list[Bar]:
    return [
        Bar(label, value, i * ROW, CHART_WIDTH * max(0.0, min(float(value), 100.0)) / 100)
        for i, (label, value) in enumerate(rows)
    ]


def audit_view(audit: AuditReport) -> AuditView:
    instance = db.session.get(ProcessInstance, audit.instance_id)
    data = audit.data or {}
    return AuditView(
        audit=audit,
        instance=instance,
        data=data,
        criteria=bars([(r["titulo"], r["cumplimiento"]) for r in data.get("criterios", [])]),
        trend=bars([(t["semana"], t["calificacion"]) for t in data.get("tendencia", [])]),
        pdf_url=url_for("audits.pdf", instance_id=audit.instance_id) if audit.pdf else None,
        case_urls={
            c["radicado"]: url_for("tasks.case_page", radicado=c["radicado"])
            for c in data.get("casos", [])
        },
    )


def for_instance(instance_id: int) -> AuditView | None:
    audit = audits.audit_of_instance(db.session, instance_id)
    return audit_view(audit) if audit is not None and audit.data is not None else None


def past_audits(limit: int = 60) -> list[tuple[ProcessInstance, AuditReport | None]]:
    """The audit instances, newest period first, with their report once the sample is drawn."""
    return list(
        db.session.execute(
            select(ProcessInstance, AuditReport)
            .outerjoin(AuditReport, AuditReport.instance_id == ProcessInstance.id)
            .where(ProcessInstance.process_id == audits.AUDIT_PROCESS)
            .order_by(ProcessInstance.business_key.desc())
            .limit(limit)
        ).tuples()
    )

"""What the audit pages and the audit's task pages show: the report model and its charts.

The figures are the worker's report model (``audit_reports.data``); its charts are the ones
the PDF carries (workers/documents/audit_report.py ``charts_of``), drawn as inline SVG.
"""

from dataclasses import dataclass
from typing import Any

from flask import url_for
from markupsafe import Markup
from sqlalchemy import select

from engine import audits
from engine.models import AuditReport, ProcessInstance
from web.extensions import db
from workers.documents import charts
from workers.documents.audit_report import charts_of


@dataclass
class AuditView:
    audit: AuditReport
    instance: ProcessInstance
    data: dict[str, Any]
    charts: dict[str, Markup]  # by name: puntajes, criterios, tendencia
    pdf_url: str | None
    case_urls: dict[str, str]


def audit_view(audit: AuditReport) -> AuditView:
    instance = db.session.get(ProcessInstance, audit.instance_id)
    data = audit.data or {}
    return AuditView(
        audit=audit,
        instance=instance,
        data=data,
        charts={
            name: Markup(charts.svg(chart, element_id=f"grafica-{name}"))
            for name, chart in charts_of(data).items()
        },
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

"""Auditoría de calidad, after 5.2.19: the report as a PDF with the Profesional's narrative.

The PDF is kept with the audit (``audit_reports.pdf``): the later steps' pages link to it and
the copy to the outsourcing (5.2.20) carries it. Building it again gives the same bytes.
"""

from typing import Any

from sqlalchemy import select

from engine.models import AuditReport
from workers.documents import audit_report as document
from workers.errors import PermanentFailure
from workers.jobs import Job


def prepare(job: Job) -> dict[str, Any]:
    audit = job.session.scalar(
        select(AuditReport).where(AuditReport.instance_id == job.instance_id)
    )
    if audit is None or audit.data is None:
        raise PermanentFailure("La auditoría no tiene informe calculado para generar el PDF.")
    return {
        "model": audit.data,
        "narrative": str(job.params.get("texto_informe") or ""),
        "issues": str(job.params.get("inconsistencias") or ""),
        "date": audit.updated_at,
    }


def perform(job: Job, found: dict[str, Any]) -> dict[str, Any]:
    pdf = document.render(found["model"], found["narrative"], found["issues"], found["date"])
    with job.ctx.session_factory() as session, session.begin():
        audit = session.scalar(
            select(AuditReport).where(AuditReport.instance_id == job.instance_id)
        )
        audit.narrative = found["narrative"]
        audit.data = {**audit.data, "texto_inconsistencias": found["issues"]}
        audit.pdf = pdf
        audit.updated_at = job.ctx.clock.now()
    return {"generado": True, "bytes": len(pdf)}

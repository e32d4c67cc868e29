"""Send a report's kept files (XLSX and PDF) by e-mail to a group, exactly once (5.2.27).

Parameters: ``destino`` (a group code, e.g. ``interventoria``), ``archivos`` (what the
``monthly_report`` operator returned: the ids of the version's files), ``periodo_informe``
(AAAA-MM) and ``interventores`` (the names the Gerente wrote, quoted in the message).
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine.models import ReportFile
from workers.documents.monthly_report import month_name
from workers.errors import PermanentFailure
from workers.jobs import Job
from workers.mail import outgoing
from workers.mail.message import MailFile
from workers.operators.notify import _members

TEMPLATE = "informe_mensual"


@dataclass
class Plan:
    recipients: list[str]
    context: dict[str, Any]
    files: list[MailFile]


def prepare(job: Job) -> Plan:
    group = str(job.params.get("destino") or "")
    recipients = [r for r in dict.fromkeys(_members(job.session, group)) if r]
    if not recipients:
        raise PermanentFailure(f"Nadie del grupo «{group}» recibe el informe: no tiene miembros.")
    kept = job.params.get("archivos") or {}
    ids = [kept.get(fmt) for fmt in ("pdf", "xlsx") if isinstance(kept, dict)]
    rows = job.session.scalars(
        select(ReportFile).where(ReportFile.id.in_([i for i in ids if i]))
    ).all()
    files = [MailFile(r.filename, r.content_type, r.content) for r in rows]
    if len(files) != 2:
        raise PermanentFailure("No se encontraron los archivos XLSX y PDF del informe.")
    period = str(job.params.get("periodo_informe") or "")
    context = {
        "periodo": month_name(period) if period else "el periodo",
        "interventores": str(job.params.get("interventores") or "").strip(),
        "archivos": [f.filename for f in files],
        "version": rows[0].version if rows else None,
    }
    return Plan(recipients, context, sorted(files, key=lambda f: f.filename))


def perform(job: Job, plan: Plan) -> dict[str, Any]:
    sent = outgoing.send(job, TEMPLATE, plan.context, plan.recipients, plan.files)
    return {
        "enviado": True,
        "destinatarios": plan.recipients,
        "asunto": sent.mail.subject,
        "archivos": [f.filename for f in plan.files],
        "enviado_en": sent.at.isoformat(),
        "reenvio_evitado": not sent.now,
    }

"""The weekly failure report to one process leader, by e-mail with its XLSX, exactly once.

Parameters: ``lider`` (the leader's group code) and ``semana`` (the Monday the week starts,
AAAA-MM-DD). Queued by beat (``workers.failure_schedule``) once per week and leader.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from engine import failure_report
from workers.documents import failure_report as failure_document
from workers.documents.report_document import XLSX_TYPE, xlsx
from workers.errors import PermanentFailure
from workers.jobs import Job
from workers.labels import Labels
from workers.mail import outgoing
from workers.mail.message import MailFile
from workers.operators.notify import _members

TEMPLATE = "reporte_fallas"
STATUS_NAMES = {
    "radicado": "Radicado",
    "en_tramite": "En trámite",
    "escalado": "Escalado al área responsable",
    "respondido": "Respondido",
    "esperando_usuario": "En espera de información del ciudadano",
    "desistido": "Cerrado por desistimiento tácito",
    "cerrado": "Cerrado",
}


def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status.replace("_", " ").capitalize())


@dataclass
class Plan:
    recipients: list[str]
    context: dict[str, Any]
    files: list[MailFile]


def prepare(job: Job) -> Plan:
    leader = str(job.params.get("lider") or "")
    try:
        start, end = failure_report.week_of(date.fromisoformat(str(job.params.get("semana"))))
    except ValueError as exc:
        raise PermanentFailure("El reporte de fallas no indica una semana válida.") from exc
    recipients = [r for r in dict.fromkeys(_members(job.session, leader)) if r]
    if not recipients:
        raise PermanentFailure(f"El grupo «{leader}» no tiene a quién enviar el reporte.")
    now = job.ctx.clock.now()
    labels = Labels(job.session)
    found = failure_report.failures(job.session, start, end, now, leader=leader)
    built = failure_document.document(
        found, start, end, now, labels.group, status_name, leader=leader
    )
    context = {
        "lider": labels.group(leader),
        "periodo": failure_document.period_text(start, end),
        "fallas": [
            {
                "radicado": f.radicado,
                "termino": failure_document.TERM_NAMES.get(f.term, f.term),
                "vencia": failure_document.moment_text(f.due),
                "horas": f.late_hours,
                "pendiente": f.pending,
                "estado": status_name(f.status),
            }
            for f in found
        ],
        "enlace": f"{job.ctx.settings.portal_url}/informes/fallas?desde={start.date()}"
        f"&hasta={(end.date())}&lider={leader}",
    }
    attachment = MailFile(f"{built.filename}-{leader}.xlsx", XLSX_TYPE, xlsx(built))
    return Plan(recipients, context, [attachment])


def perform(job: Job, plan: Plan) -> dict[str, Any]:
    sent = outgoing.send(job, TEMPLATE, plan.context, plan.recipients, plan.files)
    return {
        "enviado": True,
        "destinatarios": plan.recipients,
        "fallas": len(plan.context["fallas"]),
        "reenvio_evitado": not sent.now,
    }

"""Send an e-mail from a Spanish template to the people ``destino`` names, exactly once.

``destino`` (comma-separated for several):
- ``ciudadano``: the case's citizen;
- ``grupo``: the members of the group responsible now: the case's area for area notices
  (or any escalated case), else the candidate group of the case's open task;
- ``coordinador``: the members of group ``coordinador``;
- any other group code: that group's members.
Alerts (``alerta_*``) always go to the responsible group as well as to ``destino``.
"""

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from babel.dates import format_datetime
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import cases
from engine.clock import BOGOTA
from engine.models import Attachment, AuditReport, Case, HumanTask, User, membership
from workers.documents import letters
from workers.errors import PermanentFailure
from workers.jobs import Job
from workers.labels import Labels
from workers.mail import outgoing
from workers.mail.message import MailFile

AREA_TEMPLATES = {"asignacion", "recordatorio_area", "alerta_area"}
ANSWER_TEMPLATE = "respuesta_final"  # carries the answer's letter and files
AUDIT_TEMPLATE = "informe_auditoria"  # carries the audit report's PDF
REPORT_KEYS = (
    "periodo",
    "informe",
    "calificacion_servicio",
    "casos_auditados",
    "hay_inconsistencias",
    "comentarios_jefe",
)


@dataclass
class Plan:
    template: str
    recipients: list[str]
    context: dict[str, Any]
    files: list[MailFile] = field(default_factory=list)


def prepare(job: Job) -> Plan:
    template = str(job.params.get("plantilla") or "")
    session = job.session
    labels = Labels(session)
    case = session.get(Case, job.params["case_id"]) if job.params.get("case_id") else None
    citizen = session.get(User, case.citizen_id) if case is not None else None
    responsible = _responsible_group(session, job, case, template)
    targets = [t.strip() for t in str(job.params.get("destino") or "").split(",") if t.strip()]
    if template.startswith("alerta_") and "grupo" not in targets and responsible:
        targets.append("grupo")
    if not targets:
        raise PermanentFailure("El envío de correo no indica el destino.")

    recipients: list[str] = []
    for target in targets:
        if target == "ciudadano":
            if citizen is None:
                raise PermanentFailure("El correo es para el ciudadano, pero no hay un caso.")
            recipients.append(citizen.email)
        elif target == "grupo":
            if not responsible:
                raise PermanentFailure("No se pudo establecer el grupo responsable del caso.")
            recipients += _members(session, responsible)
        else:
            recipients += _members(session, target)
    recipients = [r for r in dict.fromkeys(recipients) if r]
    if not recipients:
        raise PermanentFailure(
            f"Nadie recibe el correo «{template}» (destino: {', '.join(targets)})."
        )

    only_citizen = targets == ["ciudadano"]
    group_name = labels.group(responsible)
    context = {
        "caso": _case_view(case, labels, job.params.get("area")) if case is not None else None,
        "destinatario": citizen.full_name if citizen is not None and only_citizen else "",
        "saludo": f"Estimado(a) {citizen.full_name}"
        if citizen and only_citizen
        else f"Equipo {group_name}"
        if group_name
        else "Cordial saludo",
        "responsable": group_name or "sin asignar",
        "datos": _data_for(job),
        "enlace_caso": _case_link(job, case),
        # Only the citizen's own e-mails carry the portal footer (staff work in the inbox).
        "pie_ciudadano": only_citizen,
        "enlace_consulta": f"{job.ctx.settings.portal_url}/consulta",
        "adjuntos": [],
    }
    files: list[MailFile] = []
    if template == ANSWER_TEMPLATE and case is not None and citizen is not None:
        files, context["adjuntos"] = _answer_files(job, case, citizen, labels)
    if template == AUDIT_TEMPLATE:
        files = _audit_files(job, context)
    return Plan(template, recipients, context, files)


def _audit_files(job: Job, context: dict[str, Any]) -> list[MailFile]:
    """The audit report's PDF (built after 5.2.19); the period reads as its week."""
    audit = job.session.scalar(
        select(AuditReport).where(AuditReport.instance_id == job.instance_id)
    )
    if audit is None or audit.pdf is None:
        raise PermanentFailure("El informe de auditoría aún no tiene su PDF.")
    context["datos"]["periodo"] = (audit.data or {}).get("periodo") or context["datos"]["periodo"]
    day = audit.period_start.astimezone(BOGOTA).date().isoformat()
    return [MailFile(f"informe-auditoria-{day}.pdf", "application/pdf", audit.pdf)]


def _case_link(job: Job, case: Case | None) -> str | None:
    """The case in the portal (citizens log in there to follow it and download its files)."""
    if case is None:
        return None
    return f"{job.ctx.settings.portal_url}/mis-casos/{case.radicado}"


def _answer_files(
    job: Job, case: Case, citizen: User, labels: Labels
) -> tuple[list[MailFile], list[dict[str, Any]]]:
    """The answer as a PDF letter and the files sent with it, as long as they fit in one
    e-mail; every file is listed, and the ones left out are in the portal."""
    # Sent before 5.2.17 completes: the files are the latest draft's (internal until then).
    answer_files = job.session.scalars(
        select(Attachment)
        .where(
            Attachment.case_id == case.id,
            Attachment.id.in_(cases.answer_file_ids(job.session, case.id)),
        )
        .order_by(Attachment.id)
    ).all()
    letter = letters.answer_letter(
        case,
        citizen,
        labels.of("tipo", case.request_type),
        [a.filename for a in answer_files],
        answer=str(job.params.get("respuesta") or case.answer or ""),
        date=job.ctx.clock.now(),
    )
    pdf = MailFile(f"respuesta-{case.radicado}.pdf", "application/pdf", letters.render(letter))
    budget = job.ctx.settings.mail_attachments_max_bytes - len(pdf.content)
    files, listed = [pdf], []
    for item in answer_files:
        attached = item.size <= budget
        if attached:
            budget -= item.size
            files.append(MailFile(item.filename, item.content_type, item.content))
        listed.append(
            {"nombre": item.filename, "kb": round(item.size / 1024, 1), "adjunto": attached}
        )
    return files, listed


def perform(job: Job, plan: Plan) -> dict[str, Any]:
    sent = outgoing.send(job, plan.template, plan.context, plan.recipients, plan.files)
    return {
        "enviado": True,
        "plantilla": plan.template,
        "destinatarios": plan.recipients,
        "asunto": sent.mail.subject,
        "message_id": sent.message_id,
        "archivos": [f.filename for f in plan.files],
        "reenvio_evitado": not sent.now,
    }


def _responsible_group(session: Session, job: Job, case: Case | None, template: str) -> str:
    if job.params.get("grupo"):
        return str(job.params["grupo"])
    if case is None:
        return ""
    if case.area and (template in AREA_TEMPLATES or case.status == "escalado"):
        return case.area
    groups = session.scalars(
        select(HumanTask.candidate_group).where(
            HumanTask.case_id == case.id,
            HumanTask.state == "open",
            HumanTask.candidate_group != "usuario",
        )
    ).all()
    return groups[0] if groups else "asesor"


def _members(session: Session, group: str) -> list[str]:
    return list(
        session.scalars(
            select(User.email)
            .join(membership, membership.c.user_id == User.id)
            .where(membership.c.group_code == group, User.active.is_(True))
            .order_by(User.id)
        )
    )


def _when(moment: datetime | None) -> str | None:
    """Spanish, in Bogotá; a deadline at the end of a day reads as that day."""
    if moment is None:
        return None
    local = moment.astimezone(BOGOTA)
    if local.time() >= time(23, 59):
        return format_datetime(local, "EEEE d 'de' MMMM 'de' y", tzinfo=BOGOTA, locale="es_CO")
    return format_datetime(local, "EEEE d 'de' MMMM 'de' y, h:mm a", tzinfo=BOGOTA, locale="es_CO")


def _case_view(case: Case, labels: Labels, suggested_area: str | None = None) -> dict[str, Any]:
    """The case as templates read it; before the Asesor picks the area (5.2.9 comes right after
    the escalation matrix), the area the matrix suggests names it."""
    area = case.area or suggested_area
    return {
        "radicado": case.radicado,
        "tipo": case.request_type,
        "tipo_nombre": labels.of("tipo", case.request_type),
        "modalidad": labels.of("modalidad", case.modality),
        "servicio": labels.of("servicio", case.service),
        "asunto": case.subject,
        "radicada_en": _when(case.filed_at),
        "vence_primera_respuesta": _when(case.first_response_due),
        "vence_legal": _when(case.legal_due),
        "vence_area": _when(case.area_due),
        "dias_legales": case.legal_days + (case.extension_days or 0),
        "area": area,
        "area_nombre": labels.group(area) if area else None,
        "respuesta": case.answer,
        "dias_prorroga": case.extension_days,
        "motivos_prorroga": case.extension_reasons,
        "primera_respuesta_forma": case.first_response_kind,
        "respuesta_prometida_para": _when(case.answer_promised_by),
        "solicitud_informacion_en": _when(case.info_requested_at),
        "vence_informacion": _when(case.info_due),
    }


def _data_for(job: Job) -> dict[str, Any]:
    """The diagram's parameters (the audit passes its report as ``informe``, ``periodo``…)."""
    data = {k: v for k, v in job.params.items() if k not in {"plantilla", "destino"}}
    for key in REPORT_KEYS:
        data.setdefault(key, None)
    return data

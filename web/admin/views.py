"""Console pages: instance search (with CSV export), one instance on its diagram with its
timeline, incidents and outbox, and the administrator's actions, each with a reason."""

import json
from datetime import date
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from engine import definitions
from engine.errors import EngineError, FormInvalid
from engine.inbox import in_procedure_order
from engine.instance_search import OVERDUE_TERMS, STATUSES, InstanceFilter, search, task_groups
from engine.models import (
    Deployment,
    Event,
    Group,
    HumanTask,
    Incident,
    OutboxMessage,
    ProcessInstance,
    User,
)
from web.access import may_act_on_instances, may_read_console, now, permitted
from web.admin import bp
from web.admin.event_text import event_text, template_name
from web.admin.export import FORMATS, export
from web.extensions import db
from web.formatting import format_moment
from web.headers import allow_diagram_styles
from web.outbox import commit
from web.step_records import case_records


# The instance page's repairs live in web/admin/actions.py (it imports this module).
def repairs(instance: ProcessInstance, open_tasks: list[HumanTask]) -> dict[str, Any]:
    from web.admin.actions import repairs as offered

    return offered(instance, open_tasks)


STATUS_LABELS = {
    "running": _l("En curso"),
    "suspended": _l("Suspendida"),
    "completed": _l("Terminada"),
    "cancelled": _l("Cancelada"),
    "incident": _l("Con incidente"),
}
OVERDUE_LABELS = {
    "first_response": _l("Primera respuesta"),
    "legal": _l("Término legal"),
    "area": _l("Término del área"),
}
EVENT_LABELS = {
    "started": _l("Inicio del proceso"),
    "task_completed": _l("Completó la tarea"),
    "claimed": _l("Tomó la tarea"),
    "released": _l("Liberó la tarea"),
    "reassigned": _l("Reasignó la tarea"),
    "hito": _l("Hito registrado"),
    "timer": _l("Venció un temporizador"),
    "service_requested": _l("Solicitó un servicio"),
    "service_completed": _l("Servicio completado"),
    "incident": _l("Incidente"),
    "retried": _l("Reintento"),
    "skipped": _l("Servicio omitido a mano"),
    "suspended": _l("Suspendida"),
    "running": _l("Reanudada"),
    "cancelled": _l("Cancelada"),
    "prorroga": _l("Prórroga"),
    "moved_back": _l("Devuelto a un paso anterior"),
    "moved_forward": _l("Siguió sin el servicio"),
    "data_edited": _l("Datos del proceso corregidos"),
    "deadlines_moved": _l("Términos movidos por un cierre"),
    "migrated": _l("Movida a otra versión"),
    "migration_refused": _l("No se pudo mover de versión"),
}
OPERATION_LABELS = {
    "notify": _l("Correo"),
    "legacy_lookup": _l("Consulta en los aplicativos"),
    "audit_sample": _l("Muestra de auditoría"),
    "audit_report": _l("Informe de auditoría"),
    "monthly_report": _l("Reportes del mes"),
    "report_mail": _l("Envío del informe"),
    "failure_report": _l("Reporte de fallas"),
}
OUTBOX_LABELS = {
    "pending": _l("Pendiente"),
    "done": _l("Hecho"),
    "failed": _l("Falló"),
    "skipped": _l("Omitido"),
}
MIN_REASON = 10


@bp.after_request
def _diagram_styles(response: Response) -> Response:
    return allow_diagram_styles(response)


def _day(name: str) -> date | None:
    value = request.args.get(name, "")
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        abort(400)


def _filter() -> InstanceFilter:
    args = request.args
    page = args.get("pagina", 1, type=int) or 1
    return InstanceFilter(
        text=args.get("q", "")[:100],
        status=args.get("estado", "") if args.get("estado") in STATUSES else "",
        process=args.get("proceso", "")[:100],
        step=args.get("paso", "")[:100],
        group=args.get("grupo", "")[:60],
        overdue=args.get("vencido", "") if args.get("vencido") in OVERDUE_TERMS else "",
        started_from=_day("desde"),
        started_to=_day("hasta"),
        sort=args.get("orden", "-started")[:20],
        page=min(max(page, 1), 100_000),
    )


def _group_names() -> dict[str, str]:
    return dict(db.session.execute(select(Group.code, Group.name)).all())


def _process_names() -> dict[str, str]:
    bundle = definitions.latest_bundle(db.session)
    return {pid: spec.description or pid for pid, spec in bundle.specs.items()}


@bp.get("/")
@permitted(may_read_console)
def instances() -> str | Response:
    criteria = _filter()
    if (fmt := request.args.get("formato")) in FORMATS:
        return export(criteria, fmt, _process_names(), STATUS_LABELS)
    page = search(db.session, criteria, now())
    bundle = definitions.latest_bundle(db.session)
    groups = task_groups(db.session)
    return render_template(
        "admin/instances.html",
        page=page,
        criteria=criteria,
        query={k: v for k, v in request.args.items() if k != "pagina"},
        processes=_process_names(),
        steps=in_procedure_order(bundle.user_tasks),
        groups=groups,
        statuses=STATUS_LABELS,
        overdue_terms=OVERDUE_LABELS,
        status_labels=STATUS_LABELS,
        group_names=_group_names(),
    )


def _instance(instance_id: int) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        abort(404)
    return instance


def _marks(instance: ProcessInstance, open_tasks: list[HumanTask], incidents: list[Incident]):
    visited = dict(
        db.session.execute(
            select(Event.bpmn_id, func.count())
            .where(
                Event.instance_id == instance.id,
                Event.bpmn_id.is_not(None),
                Event.kind.in_(("task_completed", "service_completed", "timer", "hito")),
            )
            .group_by(Event.bpmn_id)
        ).all()
    )
    pending = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.instance_id == instance.id, OutboxMessage.status == "pending"
        )
    )
    current = [t.bpmn_id for t in open_tasks] + [m.params.get("tarea") for m in pending]
    badges = []
    if instance.status == "running":
        for bpmn_id, due in g.engine.waiting_timers(instance):
            badges.append({"id": bpmn_id, "text": f"⏱ {format_moment(due)}", "kind": "timer"})
    return {
        "current": [c for c in current if c],
        "incident": [i.bpmn_id for i in incidents if i.bpmn_id and i.resolved_at is None],
        "visited": visited,
        "badges": badges,
    }


@bp.get("/instancias/<int:instance_id>")
@permitted(may_read_console)
def instance(instance_id: int) -> str:
    instance = _instance(instance_id)
    open_tasks = db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "open")
    ).all()
    incidents = db.session.scalars(
        select(Incident).where(Incident.instance_id == instance.id).order_by(Incident.id.desc())
    ).all()
    events = db.session.execute(
        select(Event, User.full_name)
        .outerjoin(User, User.id == Event.actor_id)
        .where(Event.instance_id == instance.id)
        .order_by(Event.at.desc(), Event.id.desc())
        .limit(200)
    ).all()
    outbox = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.instance_id == instance.id)
        .order_by(OutboxMessage.id.desc())
        .limit(50)
    ).all()
    diagram = _diagram_path(instance)
    bundle = definitions.bundle_for(db.session, instance.deployment_id)
    return render_template(
        "admin/instance.html",
        instance=instance,
        case=instance.case,
        version=db.session.get(Deployment, instance.deployment_id).version,
        process_name=_process_names().get(instance.process_id, instance.process_id),
        open_tasks=open_tasks,
        incidents=incidents,
        events=events,
        outbox=outbox,
        marks=_marks(instance, list(open_tasks), list(incidents)),
        diagram=diagram,
        status_labels=STATUS_LABELS,
        event_labels=EVENT_LABELS,
        outbox_labels=OUTBOX_LABELS,
        operation_labels=OPERATION_LABELS,
        template_name=template_name,
        may_act=may_act_on_instances(g.user),
        min_reason=MIN_REASON,
        data_text=lambda event: event_text(event, bundle),
        event_label=_event_label,
        group_names=_group_names(),
        records=case_records(instance.case) if instance.case else [],
        repairs=repairs(instance, list(open_tasks)),
    )


MILESTONE_LABELS = {  # engine.cases.MILESTONES, as the history names them
    "primera_respuesta": _l("Primera respuesta"),
    "fecha_respuesta": _l("Fecha de respuesta informada"),
    "solicitud_informacion": _l("Solicitud de información al ciudadano"),
    "informacion_aportada": _l("Información aportada por el ciudadano"),
    "desistimiento": _l("Desistimiento"),
    "escalamiento": _l("Escalamiento a un área"),
    "devolucion": _l("Devolución del área"),
    "respuesta_area": _l("Respuesta del área"),
    "revision": _l("Revisión de calidad"),
    "tipificacion": _l("Tipificación"),
    "respuesta_final": _l("Respuesta final"),
    "alerta": _l("Alerta de término"),
}


def _event_label(event: Event) -> str:
    if event.kind in ("service_requested", "incident") and event.label in OPERATION_LABELS:
        return str(OPERATION_LABELS[event.label])
    if event.kind == "hito":
        label = event.label or ""
        return str(MILESTONE_LABELS.get(label, label.replace("_", " ").capitalize()))
    return event.label or ""


def _diagram_path(instance: ProcessInstance) -> str | None:
    """The file of the instance's version that holds its process."""
    deployment = db.session.get(Deployment, instance.deployment_id)
    for path, content in deployment.files.items():
        if path.endswith(".bpmn") and f'id="{instance.process_id}"' in content:
            return path
    return None


@bp.get("/instancias/<int:instance_id>/diagrama.bpmn")
@permitted(may_read_console)
def instance_diagram(instance_id: int) -> Response:
    instance = _instance(instance_id)
    path = _diagram_path(instance)
    if path is None:
        abort(404)
    deployment = db.session.get(Deployment, instance.deployment_id)
    return Response(deployment.files[path], mimetype="application/xml")


def _reason() -> str:
    reason = request.form.get("motivo", "").strip()
    if len(reason) < MIN_REASON or len(reason) > 500:
        raise FormInvalid({"motivo": _("Escriba el motivo (entre 10 y 500 caracteres).")})
    return reason


def _act(instance_id: int, action: Any, done: str) -> Response:
    try:
        action(_reason())
        commit()
        flash(done, "success")
    except FormInvalid as invalid:
        db.session.rollback()
        flash(invalid.errors["motivo"], "error")
    except EngineError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("admin.instance", instance_id=instance_id))


@bp.post("/instancias/<int:instance_id>/<accion>")
@permitted(may_act_on_instances)
def change_status(instance_id: int, accion: str) -> Response:
    actions = {
        "suspender": (g.engine.suspend, _("La instancia quedó suspendida.")),
        "reanudar": (g.engine.resume, _("La instancia se reanudó.")),
        "cancelar": (g.engine.cancel, _("La instancia quedó cancelada.")),
    }
    if accion not in actions:
        abort(404)
    _instance(instance_id)
    method, done = actions[accion]
    return _act(instance_id, lambda reason: method(instance_id, g.user, reason), done)


@bp.post("/incidentes/<int:incident_id>/reintentar")
@permitted(may_act_on_instances)
def retry(incident_id: int) -> Response:
    incident = db.session.get(Incident, incident_id) or abort(404)
    return _act(
        incident.instance_id,
        lambda reason: g.engine.retry_incident(incident_id, g.user, reason),
        _("Se reintentó el paso que falló."),
    )


@bp.post("/incidentes/<int:incident_id>/omitir")
@permitted(may_act_on_instances)
def skip(incident_id: int) -> Response:
    incident = db.session.get(Incident, incident_id) or abort(404)
    try:
        result = json.loads(request.form.get("resultado", "") or "{}")
    except ValueError:
        result = None
    if not isinstance(result, dict):
        flash(_('El resultado debe ser un objeto JSON, por ejemplo {"enviado": true}.'), "error")
        return redirect(url_for("admin.instance", instance_id=incident.instance_id))
    return _act(
        incident.instance_id,
        lambda reason: g.engine.skip_incident(incident_id, g.user, result, reason),
        _("Se omitió el servicio con el resultado indicado."),
    )

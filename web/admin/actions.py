"""Console actions on one instance beyond its status: move it back to a step it went through
or past a stuck service task, edit its process data, reassign one of its tasks. Each needs a
reason, is checked here and in web/access.py, and is written to the event log."""

import json
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine import service_results
from engine.errors import EngineError, FormInvalid
from engine.instance_actions import KEPT, REOPENED, UNDONE, InstanceActions, PassedMilestone
from engine.models import HumanTask, Incident, OutboxMessage, ProcessInstance, User, membership
from web.access import (
    may_act_on_instances,
    may_edit_process_data,
    may_reassign_in_console,
    permitted,
)
from web.admin import bp
from web.admin.views import MIN_REASON, _instance, _reason
from web.extensions import db
from web.formatting import format_moment
from web.outbox import commit


def repairs(instance: ProcessInstance, open_tasks: list[HumanTask]) -> dict[str, Any]:
    """What the instance page offers: the steps to go back to, the stuck services, the data,
    and for each open task the people it can be reassigned to."""
    actions = InstanceActions(g.engine)
    admin = may_act_on_instances(g.user)
    data = actions.process_data(instance) if admin and instance.status == "running" else None
    return {
        "back_steps": actions.back_steps(instance) if admin else [],
        "stuck": actions.stuck_services(instance) if admin else [],
        "data_json": json.dumps(data, ensure_ascii=False, indent=2) if data is not None else None,
        "reassignable": {
            t.id: candidates(t.candidate_group)
            for t in open_tasks
            if may_reassign_in_console(g.user, t)
        },
        "skip_examples": skip_examples(instance),
        "min_reason": MIN_REASON,
    }


def skip_examples(instance: ProcessInstance) -> dict[int, str]:
    """For each open incident of a failed service: a valid result of its operation."""
    rows = db.session.execute(
        select(Incident.id, OutboxMessage.operation)
        .join(OutboxMessage, OutboxMessage.id == Incident.outbox_id)
        .where(Incident.instance_id == instance.id, Incident.resolved_at.is_(None))
    ).all()
    return {incident_id: service_results.example(operation) for incident_id, operation in rows}


def candidates(group: str) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(User.id, User.full_name)
        .join(membership, membership.c.user_id == User.id)
        .where(membership.c.group_code == group, User.active.is_(True), User.kind == "staff")
        .order_by(User.full_name)
    ).all()
    return [(r.id, r.full_name) for r in rows]


def _done(instance_id: int, action: Any, message: str) -> Response:
    try:
        action(_reason())
        commit()
        flash(message, "success")
    except FormInvalid as invalid:
        db.session.rollback()
        flash(next(iter(invalid.errors.values())), "error")
    except EngineError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("admin.instance", instance_id=instance_id) + "#reparar")


def _json_field(name: str) -> Any:
    try:
        return json.loads(request.form.get(name, ""))
    except ValueError:
        raise FormInvalid(
            {name: _("El texto no es JSON válido; revise comillas, comas y llaves.")}
        ) from None


# What moving back does with each milestone it passes: (hito, fate) -> the sentence shown.
MILESTONE_FATES = {
    ("primera_respuesta", KEPT): _l(
        "La primera respuesta que recibió el ciudadano el %(fecha)s se mantiene: su plazo "
        "quedó cumplido con ella y no vuelve a contarse, aunque el caso la repita."
    ),
    ("fecha_respuesta", KEPT): _l(
        "La fecha de respuesta informada al ciudadano el %(fecha)s se mantiene (cuenta como "
        "primera respuesta); si el caso informa otra fecha, la nueva la reemplaza."
    ),
    ("escalamiento", UNDONE): _l(
        "Se deshace el escalamiento del %(fecha)s: el caso deja de estar en el área y su "
        "término deja de correr; si vuelve a escalarse, 5.2.10 fija un término nuevo y solo "
        "una respuesta del área posterior cuenta para cumplirlo."
    ),
    ("escalamiento", KEPT): _l(
        "El escalamiento del %(fecha)s se mantiene y el término del área sigue corriendo."
    ),
    ("respuesta_area", REOPENED): _l(
        "La respuesta del área del %(fecha)s se reabre: el caso vuelve a estar escalado; para "
        "el cumplimiento del término del área cuenta esa primera respuesta."
    ),
    ("respuesta_area", KEPT): _l(
        "La respuesta del área del %(fecha)s queda en el historial; no cuenta para un "
        "escalamiento nuevo."
    ),
    ("devolucion", KEPT): _l("La devolución del área del %(fecha)s queda en el historial."),
    ("solicitud_informacion", UNDONE): _l(
        "Termina la espera de la información pedida al ciudadano el %(fecha)s: el término "
        "legal se reanuda hoy, corrido los días hábiles que estuvo suspendido."
    ),
    ("solicitud_informacion", KEPT): _l(
        "La solicitud de información del %(fecha)s se mantiene, con los días que el término "
        "legal estuvo suspendido."
    ),
    ("informacion_aportada", KEPT): _l(
        "La información que aportó el ciudadano el %(fecha)s se mantiene."
    ),
    ("revision", UNDONE): _l(
        "Se deshace la revisión de la respuesta del %(fecha)s: la respuesta se revisa de nuevo."
    ),
    ("tipificacion", UNDONE): _l("Se deshace la tipificación del %(fecha)s: se tipifica de nuevo."),
    ("alerta", KEPT): _l("La alerta de término vencido del %(fecha)s queda registrada."),
}
OTHER_FATE = _l("El hito «%(hito)s» del %(fecha)s queda en el historial.")


def milestone_text(milestone: PassedMilestone) -> str:
    """The sentence that tells what moving back does with ``milestone``."""
    template = MILESTONE_FATES.get((milestone.hito, milestone.fate), OTHER_FATE)
    return str(template) % {"fecha": format_moment(milestone.at), "hito": milestone.hito}


@bp.get("/instancias/<int:instance_id>/devolver")
@permitted(may_act_on_instances)
def move_back_confirm(instance_id: int) -> str | Response:
    """Before moving back: the step, and what happens to the milestones it passes."""
    instance = _instance(instance_id)
    actions = InstanceActions(g.engine)
    steps = {s.bpmn_id: s for s in actions.back_steps(instance)}
    step = steps.get(request.args.get("paso", "")[:100])
    if step is None:
        flash(_("El caso no pasó por ese paso; elija uno de la lista."), "error")
        return redirect(url_for("admin.instance", instance_id=instance_id) + "#reparar")
    passed = actions.passed_milestones(instance, step.bpmn_id)
    return render_template(
        "admin/move_back_confirm.html",
        instance=instance,
        step=step,
        kept=[milestone_text(m) for m in passed if m.fate == KEPT],
        changed=[milestone_text(m) for m in passed if m.fate != KEPT],
        min_reason=MIN_REASON,
    )


@bp.post("/instancias/<int:instance_id>/devolver")
@permitted(may_act_on_instances)
def move_back(instance_id: int) -> Response:
    _instance(instance_id)
    step = request.form.get("paso", "")[:100]
    actions = InstanceActions(g.engine)
    return _done(
        instance_id,
        lambda reason: actions.move_back(instance_id, g.user, step, reason),
        _("El caso volvió al paso elegido."),
    )


@bp.post("/instancias/<int:instance_id>/avanzar")
@permitted(may_act_on_instances)
def move_forward(instance_id: int) -> Response:
    _instance(instance_id)
    outbox_id = request.form.get("trabajo", type=int) or 0
    actions = InstanceActions(g.engine)

    def act(reason: str) -> None:
        actions.move_forward(instance_id, g.user, outbox_id, _json_field("resultado"), reason)

    return _done(instance_id, act, _("El caso siguió con el resultado indicado."))


@bp.post("/instancias/<int:instance_id>/datos")
@permitted(may_edit_process_data)
def edit_data(instance_id: int) -> Response:
    _instance(instance_id)
    actions = InstanceActions(g.engine)

    def act(reason: str) -> None:
        actions.edit_data(instance_id, g.user, _json_field("datos"), reason)

    return _done(instance_id, act, _("Los datos del proceso quedaron guardados."))


@bp.post("/tareas/<task_id>/reasignar")
@permitted(may_reassign_in_console)
def reassign(task_id: str) -> Response:
    task = db.session.get(HumanTask, task_id[:36]) or abort(404)
    if not may_reassign_in_console(g.user, task):
        abort(403)
    assignee = request.form.get("persona", type=int) or 0

    def act(reason: str) -> None:
        g.engine.reassign(task.id, g.user, assignee, reason)

    return _done(task.instance_id, act, _("La tarea quedó reasignada."))

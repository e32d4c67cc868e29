"""After a step is completed: carry on with the next one, or say where the case went."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from engine import inbox as engine_inbox
from engine.models import Group, HumanTask, ProcessInstance, User
from web.case_labels import status_label
from web.extensions import db


@dataclass
class Handoff:
    message: str
    next_task_id: str | None = None  # the step the same person opens next, if any


def after_completion(done: HumanTask, user: User) -> Handoff:
    """Where ``user`` goes after completing ``done``: read in the step's transaction."""
    completed = _("Tarea completada: %(name)s.", name=done.name)
    following = engine_inbox.next_step(db.session, done.instance_id, user)
    if following is not None:
        return Handoff(
            f"{completed} {_('Continúe con %(name)s.', name=following.name)}", following.id
        )
    subject = (
        _("El caso %(radicado)s", radicado=done.business_key)
        if done.case_id is not None
        else _("El trámite")
    )
    return Handoff(f"{completed} {_where_it_went(done.instance_id, subject)}")


def _where_it_went(instance_id: int, subject: str) -> str:
    rows = db.session.execute(
        select(HumanTask.name, HumanTask.candidate_group, Group.name, User.full_name)
        .outerjoin(Group, Group.code == HumanTask.candidate_group)
        .outerjoin(User, User.id == HumanTask.assignee_id)
        .where(HumanTask.instance_id == instance_id, HumanTask.state == "open")
        .order_by(HumanTask.created_at)
    ).all()
    if rows:
        places = "; ".join(
            _(
                "«%(step)s» (%(group)s, a cargo de %(name)s)",
                step=step,
                group=group or code,
                name=name,
            )
            if name
            else _("«%(step)s» (%(group)s)", step=step, group=group or code)
            for step, code, group, name in rows
        )
        return _("%(subject)s pasó a %(places)s.", subject=subject, places=places)
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is not None and instance.status == "running":
        return _(
            "%(subject)s sigue en un paso automático del sistema (un correo, una consulta); si "
            "después necesita a una persona, aparecerá en la bandeja del grupo que corresponda.",
            subject=subject,
        )
    if instance is not None and instance.case is not None:
        return _(
            "%(subject)s no tiene más pasos pendientes (estado: %(status)s).",
            subject=subject,
            status=status_label(instance.case.status),
        )
    return _("%(subject)s no tiene más pasos pendientes.", subject=subject)

"""Administering staff: create an account (the person sets the password through a link),
change name, e-mail and groups (lanes, areas, roles), send a password reset link, deactivate
(after seeing the open tasks the person holds, which are released or handed to someone
else) and reactivate. Every change is written to the event log."""

import re
import secrets
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from engine.errors import EngineError
from engine.models import Event, Group, HumanTask, ProcessInstance, User
from web.access import may_administer, now, permitted
from web.admin import bp
from web.auth.staff_password import send_link
from web.extensions import db
from web.input_rules import normalized_email, text_error
from web.outbox import commit
from web.passwords import hash_password

bp.add_app_template_global(may_administer, "may_administer")

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
KIND_LABELS = {
    "lane": _l("Roles del procedimiento"),
    "area": _l("Áreas"),
    "role": _l("Funciones en el sistema"),
}


def _log(kind: str, user: User, data: dict[str, Any] | None = None) -> None:
    db.session.add(Event(at=now(), actor_id=g.user.id, kind=kind, label=user.username, data=data))


def _staff(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.kind != "staff":
        abort(404)
    return user


def _groups() -> dict[str, list[Group]]:
    """The groups staff can belong to, by kind (the citizens' lane is not one of them)."""
    found: dict[str, list[Group]] = {kind: [] for kind in KIND_LABELS}
    for group in db.session.scalars(select(Group).order_by(Group.name)):
        if group.kind in found and group.code != "usuario":
            found[group.kind].append(group)
    return found


def _held_tasks(user_id: int) -> list[HumanTask]:
    return list(
        db.session.scalars(
            select(HumanTask)
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(
                HumanTask.assignee_id == user_id,
                HumanTask.state == "open",
                ProcessInstance.status.in_(("running", "suspended")),
            )
            .order_by(HumanTask.created_at)
        )
    )


def _chosen_groups(errors: dict[str, str]) -> list[Group]:
    allowed = {g.code: g for groups in _groups().values() for g in groups}
    chosen = request.form.getlist("grupos")
    if any(code not in allowed for code in chosen):
        errors["grupos"] = _("Uno de los grupos elegidos no existe.")
    return [allowed[code] for code in chosen if code in allowed]


def _contact(errors: dict[str, str]) -> tuple[str, str]:
    name = request.form.get("nombre", "").strip()
    email = normalized_email(request.form.get("correo", "").strip())
    if problem := text_error(name, 200):
        errors["nombre"] = problem
    elif not name:
        errors["nombre"] = _("Escriba el nombre completo.")
    if email is None:
        errors["correo"] = _(
            "Escriba un correo electrónico válido, por ejemplo nombre@icetex.gov.co."
        )
    return name, email or ""


@bp.get("/personas")
@permitted(may_administer)
def people() -> str:
    staff = db.session.scalars(
        select(User).where(User.kind == "staff").order_by(User.active.desc(), User.full_name)
    ).all()
    held = dict(
        db.session.execute(
            select(HumanTask.assignee_id, func.count())
            .where(HumanTask.state == "open", HumanTask.assignee_id.is_not(None))
            .group_by(HumanTask.assignee_id)
        ).all()
    )
    return render_template("admin/people.html", staff=staff, held=held)


@bp.route("/personas/nueva", methods=["GET", "POST"])
@permitted(may_administer)
def person_new() -> str | Response | tuple[str, int]:
    errors: dict[str, str] = {}
    values = request.form
    if request.method == "POST":
        username = request.form.get("usuario", "").strip().lower()
        if not USERNAME.match(username):
            errors["usuario"] = _(
                "El usuario lleva de 3 a 60 letras minúsculas, números, puntos, guiones o "
                "guiones bajos, sin espacios."
            )
        elif db.session.scalar(select(User.id).where(User.username == username)) is not None:
            errors["usuario"] = _("Ese usuario ya existe.")
        name, email = _contact(errors)
        groups = _chosen_groups(errors)
        if not errors:
            moment = now()
            user = User(
                username=username,
                kind="staff",
                full_name=name,
                email=email,
                # Nobody knows this password: the person sets theirs through the link.
                password_hash=hash_password(secrets.token_urlsafe(32)),
                created_at=moment,
                email_verified_at=moment,
                groups=groups,
            )
            db.session.add(user)
            db.session.flush()
            send_link(user, moment, new_account=True)
            _log("staff_created", user, {"grupos": sorted(g.code for g in groups)})
            commit()
            flash(
                _(
                    "Cuenta creada. Enviamos a %(email)s el enlace para elegir la contraseña.",
                    email=email,
                ),
                "success",
            )
            return redirect(url_for("admin.person", user_id=user.id))
    page = render_template(
        "admin/person_new.html",
        errors=errors,
        values=values,
        groups=_groups(),
        kind_labels=KIND_LABELS,
        chosen=set(request.form.getlist("grupos")),
    )
    return (page, 400) if errors else page


@bp.get("/personas/<int:user_id>")
@permitted(may_administer)
def person(user_id: int) -> str:
    user = _staff(user_id)
    tasks = _held_tasks(user.id)
    candidates = db.session.scalars(
        select(User)
        .where(User.kind == "staff", User.active.is_(True), User.id != user.id)
        .order_by(User.full_name)
    ).all()
    needed = {t.candidate_group for t in tasks}
    # Who could take over every task this person holds (a member of each task's group).
    heirs = [c for c in candidates if needed <= c.group_codes] if tasks else []
    return render_template(
        "admin/person.html",
        person=user,
        tasks=tasks,
        heirs=heirs,
        groups=_groups(),
        kind_labels=KIND_LABELS,
        group_names=dict(db.session.execute(select(Group.code, Group.name)).all()),
        errors={},
    )


@bp.post("/personas/<int:user_id>")
@permitted(may_administer)
def person_update(user_id: int) -> Response:
    user = _staff(user_id)
    errors: dict[str, str] = {}
    name, email = _contact(errors)
    groups = _chosen_groups(errors)
    if user.id == g.user.id and "administrador" not in {gr.code for gr in groups}:
        errors["grupos"] = _("No puede quitarse a sí mismo el grupo Administrador.")
    if errors:
        for message in errors.values():
            flash(message, "error")
        return redirect(url_for("admin.person", user_id=user.id))
    before = sorted(user.group_codes)
    after = sorted(gr.code for gr in groups)
    changes: dict[str, Any] = {}
    if before != after:
        changes.update(grupos_antes=before, grupos_despues=after)
    if name != user.full_name:
        changes.update(nombre_antes=user.full_name, nombre_despues=name)
    if email != user.email:
        changes.update(correo_antes=user.email, correo_despues=email)
    if not changes:
        flash(_("No hubo cambios."), "info")
        return redirect(url_for("admin.person", user_id=user.id))
    user.full_name, user.email, user.groups = name, email, groups
    _log("staff_changed", user, changes)
    commit()
    flash(_("Datos y grupos guardados."), "success")
    return redirect(url_for("admin.person", user_id=user.id))


@bp.post("/personas/<int:user_id>/restablecer")
@permitted(may_administer)
def person_reset(user_id: int) -> Response:
    user = _staff(user_id)
    if not user.active:
        flash(_("Reactive la cuenta antes de restablecer su contraseña."), "error")
        return redirect(url_for("admin.person", user_id=user.id))
    send_link(user, now(), new_account=False)
    _log("staff_password_reset", user)
    commit()
    flash(
        _("Enviamos a %(email)s un enlace para elegir una nueva contraseña.", email=user.email),
        "success",
    )
    return redirect(url_for("admin.person", user_id=user.id))


@bp.post("/personas/<int:user_id>/desactivar")
@permitted(may_administer)
def person_deactivate(user_id: int) -> Response:
    user = _staff(user_id)
    if user.id == g.user.id:
        flash(_("No puede desactivar su propia cuenta."), "error")
        return redirect(url_for("admin.person", user_id=user.id))
    if not user.active:
        flash(_("La cuenta ya está desactivada."), "info")
        return redirect(url_for("admin.person", user_id=user.id))
    tasks = _held_tasks(user.id)
    heir_id = request.form.get("heredero", "")
    heir = None
    if tasks and heir_id:
        heir = db.session.get(User, int(heir_id)) if heir_id.isdigit() else None
        if heir is None or heir.kind != "staff" or not heir.active or heir.id == user.id:
            flash(_("Elija a una persona activa para recibir las tareas."), "error")
            return redirect(url_for("admin.person", user_id=user.id))
    try:
        for task in tasks:
            if heir is not None:  # the engine logs each reassignment
                g.engine.reassign(task.id, g.user, heir.id)
            else:
                g.engine.release(task.id, g.user)
    except EngineError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("admin.person", user_id=user.id))
    user.active = False
    _log(
        "staff_deactivated",
        user,
        {"tareas": len(tasks), "entregadas_a": heir.username if heir else None},
    )
    commit()
    if not tasks:
        flash(_("Cuenta desactivada."), "success")
    elif heir is not None:
        flash(
            _(
                "Cuenta desactivada; sus %(n)s tareas pasaron a %(name)s.",
                n=len(tasks),
                name=heir.full_name,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Cuenta desactivada; sus %(n)s tareas volvieron a la bandeja de su grupo.",
                n=len(tasks),
            ),
            "success",
        )
    return redirect(url_for("admin.person", user_id=user.id))


@bp.post("/personas/<int:user_id>/reactivar")
@permitted(may_administer)
def person_reactivate(user_id: int) -> Response:
    user = _staff(user_id)
    if user.active:
        flash(_("La cuenta ya está activa."), "info")
        return redirect(url_for("admin.person", user_id=user.id))
    user.active = True
    _log("staff_reactivated", user)
    commit()
    flash(_("Cuenta reactivada."), "success")
    return redirect(url_for("admin.person", user_id=user.id))


@bp.get("/grupos")
@permitted(may_administer)
def person_groups() -> str:
    """Each group with its active members and its open tasks (taken and waiting)."""
    tasks = {
        group: (count, waiting)
        for group, count, waiting in db.session.execute(
            select(
                HumanTask.candidate_group,
                func.count(),
                func.count().filter(HumanTask.assignee_id.is_(None)),
            )
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.state == "open", ProcessInstance.status.in_(("running", "suspended")))
            .group_by(HumanTask.candidate_group)
        )
    }
    staff = db.session.scalars(
        select(User).where(User.kind == "staff", User.active.is_(True)).order_by(User.full_name)
    ).all()
    members: dict[str, list[User]] = {}
    for user in staff:
        for code in user.group_codes:
            members.setdefault(code, []).append(user)
    return render_template(
        "admin/groups.html",
        groups=_groups(),
        kind_labels=KIND_LABELS,
        members=members,
        tasks=tasks,
    )

"""Console: the run-time settings (quality review share, reminder leads). Administrators
change them, coordinators read them; each change is in the event log with who and when."""

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine import configuration
from engine.errors import EngineError
from engine.models import Event, Setting, User
from web.access import may_change_settings, may_read_console, now, permitted
from web.admin import bp
from web.extensions import db

HISTORY = 20


@bp.get("/ajustes")
@permitted(may_read_console)
def settings() -> str:
    rows = {
        row.key: row
        for row in db.session.scalars(select(Setting).where(Setting.key.in_(configuration.SPECS)))
    }
    history = db.session.execute(
        select(Event, User.full_name)
        .outerjoin(User, User.id == Event.actor_id)
        .where(Event.kind == configuration.CHANGED)
        .order_by(Event.at.desc(), Event.id.desc())
        .limit(HISTORY)
    ).all()
    editors = {
        row.updated_by_id: db.session.get(User, row.updated_by_id).full_name
        for row in rows.values()
        if row.updated_by_id
    }
    return render_template(
        "admin/settings.html",
        specs=configuration.SPECS.values(),
        values={key: configuration.value(db.session, key) for key in configuration.SPECS},
        rows=rows,
        editors=editors,
        history=history,
        may_change=may_change_settings(g.user),
    )


@bp.post("/ajustes")
@permitted(may_change_settings)
def change_settings() -> Response:
    changed = 0
    try:
        for key, spec in configuration.SPECS.items():
            raw = request.form.get(key, "").strip()
            if not raw.isdigit():
                raise EngineError(_("%(campo)s: escriba un número entero.", campo=spec.label))
            changed += configuration.change(db.session, key, int(raw), g.user, now())
        db.session.commit()
    except EngineError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("admin.settings"))
    if changed:
        flash(_("Se guardaron los ajustes."), "success")
    else:
        flash(_("No cambió ningún ajuste."), "info")
    return redirect(url_for("admin.settings"))

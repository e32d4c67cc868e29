"""Office closures: list them, and add or remove one after seeing which open cases'
deadlines it moves; the confirmed change moves them in the same transaction."""

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine import closures as closure_rules
from engine.business_calendar import BusinessCalendar
from engine.clock import BOGOTA
from engine.errors import EngineError
from engine.models import Closure
from web.access import may_administer, now, permitted
from web.admin import bp
from web.admin.views import OVERDUE_LABELS
from web.extensions import db
from web.outbox import commit

TERM_LABELS = {
    **OVERDUE_LABELS,
    "info": _l("Respuesta del ciudadano a la solicitud de información"),
}
MAX_YEARS = 2


def _today() -> date:
    return now().astimezone(BOGOTA).date()


def _parse_day(raw: str) -> date | None:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    today = _today()
    if abs((day - today).days) > 366 * MAX_YEARS:
        return None
    return day


def _preview(day: date, adding: bool) -> list[closure_rules.CaseShift]:
    return closure_rules.preview(g.engine, day, adding)


@bp.get("/cierres")
@permitted(may_administer)
def closures() -> str:
    rows = db.session.scalars(select(Closure).order_by(Closure.day.desc())).all()
    today = _today()
    return render_template(
        "admin/closures.html",
        upcoming=[c for c in rows if c.day >= today][::-1],
        past=[c for c in rows if c.day < today],
        today=today,
        max_reason=closure_rules.MAX_REASON,
    )


@bp.get("/cierres/nuevo")
@permitted(may_administer)
def closure_preview() -> str | Response:
    day = _parse_day(request.args.get("dia", ""))
    reason = request.args.get("motivo", "").strip()
    error = None
    if day is None:
        error = _("Escriba una fecha válida, a no más de dos años de hoy.")
    elif not 3 <= len(reason) <= closure_rules.MAX_REASON:
        error = _(
            "Escriba el motivo del cierre (entre 3 y %(n)s caracteres).", n=closure_rules.MAX_REASON
        )
    elif db.session.get(Closure, day) is not None:
        error = _("Ese día ya está registrado como cierre.")
    elif not BusinessCalendar().is_business_day(day):
        error = _("Ese día ya no es hábil (fin de semana o festivo): no hace falta registrarlo.")
    if error:
        flash(error, "error")
        return redirect(url_for("admin.closures"))
    return render_template(
        "admin/closure_confirm.html",
        day=day,
        reason=reason,
        adding=True,
        shifts=_preview(day, True),
        term_labels=TERM_LABELS,
    )


@bp.post("/cierres")
@permitted(may_administer)
def closure_add() -> Response:
    day = _parse_day(request.form.get("dia", ""))
    if day is None:
        flash(_("Escriba una fecha válida, a no más de dos años de hoy."), "error")
        return redirect(url_for("admin.closures"))
    return _apply(day, request.form.get("motivo", ""), adding=True)


def _closure(raw: str) -> Closure:
    day = _parse_day(raw)
    closure = db.session.get(Closure, day) if day else None
    if closure is None:
        abort(404)
    return closure


@bp.get("/cierres/<dia>/retirar")
@permitted(may_administer)
def closure_remove_preview(dia: str) -> str:
    closure = _closure(dia)
    return render_template(
        "admin/closure_confirm.html",
        day=closure.day,
        reason=closure.reason,
        adding=False,
        shifts=_preview(closure.day, False),
        term_labels=TERM_LABELS,
    )


@bp.post("/cierres/<dia>/retirar")
@permitted(may_administer)
def closure_remove(dia: str) -> Response:
    closure = _closure(dia)
    return _apply(closure.day, closure.reason, adding=False)


def _apply(day: date, reason: str, adding: bool) -> Response:
    try:
        shifts = closure_rules.change(g.engine, day, g.user, reason, adding)
        commit()
    except EngineError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("admin.closures"))
    moved = len(shifts)
    if adding:
        flash(
            _("Cierre registrado. Se movieron los términos de %(n)s casos.", n=moved)
            if moved
            else _("Cierre registrado. Ningún caso abierto cambia de término."),
            "success",
        )
    else:
        flash(
            _("Cierre retirado. Se movieron los términos de %(n)s casos.", n=moved)
            if moved
            else _("Cierre retirado. Ningún caso abierto cambia de término."),
            "success",
        )
    return redirect(url_for("admin.closures"))

"""Saved console searches, each user's own: save the current filter under a name, open it,
delete it. A personal preference, not an action on instances: whoever reads the console
(administrators and coordinators) keeps their own. Saving and deleting are in the event log."""

from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.models import Event, SavedFilter
from web.access import may_read_console, now, permitted
from web.extensions import db

bp = Blueprint("saved_filters", __name__, url_prefix="/consola/filtros")

# The search's own parameters (web.admin.views._filter); nothing else is kept.
FILTER_KEYS = ("q", "estado", "proceso", "paso", "grupo", "vencido", "desde", "hasta", "orden")
MAX_FILTERS = 50


def clean_query(raw: str) -> str:
    """The search parameters of ``raw`` (a query string), in a stable order."""
    pairs = dict(parse_qsl(raw[:2000]))
    return urlencode([(k, pairs[k][:100]) for k in FILTER_KEYS if pairs.get(k)])


def saved_filters() -> list[SavedFilter]:
    """The logged-in user's saved searches (for the search page)."""
    if g.get("user") is None:
        return []
    return list(
        db.session.scalars(
            select(SavedFilter).where(SavedFilter.user_id == g.user.id).order_by(SavedFilter.name)
        )
    )


def _log(kind: str, name: str) -> None:
    db.session.add(Event(at=now(), actor_id=g.user.id, kind=kind, data={"nombre": name}))


@bp.post("")
@permitted(may_read_console)
def save() -> Response:
    name = " ".join(request.form.get("nombre", "").split())
    query = clean_query(request.form.get("consulta", ""))
    if not 1 <= len(name) <= 80:
        flash(_("Escriba un nombre para el filtro (hasta 80 caracteres)."), "error")
        return redirect(url_for("admin.instances") + (f"?{query}" if query else ""))
    mine = saved_filters()
    existing = next((f for f in mine if f.name == name), None)
    if existing is None and len(mine) >= MAX_FILTERS:
        flash(_("Tiene demasiados filtros guardados: borre alguno."), "error")
        return redirect(url_for("admin.instances") + (f"?{query}" if query else ""))
    if existing is None:
        db.session.add(SavedFilter(user_id=g.user.id, name=name, query=query, created_at=now()))
    else:
        existing.query = query
    _log("filtro_guardado", name)
    db.session.commit()
    flash(_("Se guardó el filtro «%(nombre)s».", nombre=name), "success")
    return redirect(url_for("admin.instances") + (f"?{query}" if query else ""))


@bp.post("/borrar")
@permitted(may_read_console)
def delete() -> Response:
    found = db.session.get(SavedFilter, request.form.get("id", 0, type=int))
    if found is None or found.user_id != g.user.id:
        abort(404)
    _log("filtro_borrado", found.name)
    db.session.delete(found)
    db.session.commit()
    flash(_("Se borró el filtro «%(nombre)s».", nombre=found.name), "success")
    return redirect(url_for("admin.instances"))


@bp.app_context_processor
def _templates() -> dict[str, object]:
    return {"saved_filters": saved_filters}

"""Staff: the inbox (Mis tareas / Mi grupo), task pages, claim, release, reassign, complete."""

from flask import Blueprint

bp = Blueprint("tasks", __name__, template_folder="templates", url_prefix="/bandeja")

from web.tasks import on_behalf, views  # noqa: E402, F401

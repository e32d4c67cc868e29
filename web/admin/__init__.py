"""The administrators' console: find any instance, see where it stands, fix what failed."""

from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/consola")

from web.admin import (  # noqa: E402, F401  (routes register on import)
    actions,
    bulk,
    closures,
    dashboard,
    people,
    settings,
    views,
)

"""The process owners' studio: edit, validate and deploy the procedure's definitions."""

from flask import Blueprint

bp = Blueprint("studio", __name__, template_folder="templates", url_prefix="/estudio")

from web.studio import views  # noqa: E402, F401  (routes register on import)

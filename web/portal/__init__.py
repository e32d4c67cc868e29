"""The citizens' portal: service menu, filing (5.2.5), their cases and their data (5.2.4)."""

from flask import Blueprint

bp = Blueprint("portal", __name__, template_folder="templates")

from web.portal import satisfaction, views  # noqa: E402, F401

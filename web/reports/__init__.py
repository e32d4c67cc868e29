"""Documents and dashboards: the monthly contract report's pages and files, and the reports
computed from the case records."""

from flask import Blueprint

bp = Blueprint("reports", __name__, template_folder="templates", url_prefix="/informes")

from web.reports import views  # noqa: E402, F401

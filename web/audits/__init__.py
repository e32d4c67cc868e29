"""The weekly quality audits (5.2.18–5.2.22): past audits, one audit's report and its PDF,
and starting an audit for a chosen past week. Task pages of the audit show the same report."""

from flask import Blueprint

bp = Blueprint("audits", __name__, template_folder="templates", url_prefix="/auditorias")

from web.audits import views  # noqa: E402, F401

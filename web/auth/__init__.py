"""Registration and login for citizens (5.2.2, 5.2.3) and login for staff."""

from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates", url_prefix="/cuenta")

from web.auth import password_views, staff_password, views  # noqa: E402, F401

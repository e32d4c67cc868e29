"""Flask extensions, created bare and bound to the app in ``create_app``."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from engine.models import Base

# The engine's models, mapped by engine.models.Base; Flask-SQLAlchemy gives the request session.
db = SQLAlchemy(model_class=Base)
migrate = Migrate()  # ``flask --app web db …`` over migrations/ (engine.database.MIGRATIONS)
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def login_attempt_key() -> str:
    """Rate-limit key for failed logins: the name tried, from the address trying it.

    Guesses against one account from one address slow down; the account's owner, from
    another address, still gets in."""
    name = (request.form.get("username") or request.form.get("documento") or "").strip().lower()
    return f"login:{name}:{get_remote_address()}"

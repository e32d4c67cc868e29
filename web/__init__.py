"""The Flask app: citizens' portal, staff inbox and task pages over the process engine."""

from typing import Any

from flask import Flask, g
from flask_babel import get_locale, get_translations

from engine.clock import clock_from_environment
from engine.database import MIGRATIONS, configure_sqlite
from web import config as web_config
from web import ops
from web.access import load_current_user
from web.errors import register_error_handlers
from web.extensions import babel, csrf, db, limiter, migrate
from web.headers import add_security_headers, trust_proxies
from web.input_rules import RowIdConverter, refuse_control_characters


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(web_config.INSTANCE_DIR))
    app.url_map.converters["id"] = RowIdConverter
    app.config.from_mapping(web_config.from_environment())
    if config:
        app.config.from_mapping(config)
    trust_proxies(app)
    app.extensions["clock"] = app.config.get("CLOCK") or clock_from_environment(
        app.config.get("CLOCK_FILE")
    )
    app.extensions["outbox_dispatch"] = app.config.get("OUTBOX_DISPATCH")

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    babel.init_app(
        app,
        locale_selector=lambda: app.config["BABEL_DEFAULT_LOCALE"],
        timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"],
    )
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])

    _register_request_hooks(app)
    ops.init_app(app)  # first before-request hook: request id, timing, log context
    register_error_handlers(app)
    _register_blueprints(app)
    _register_template_helpers(app)

    from web.cli import register_commands

    register_commands(app)
    if app.config["WORKERS"]:
        from workers.celery_app import celery_init_app

        celery_init_app(app)  # after-commit dispatch of outbox rows to the Celery workers
    return app


def _register_request_hooks(app: Flask) -> None:
    from engine.runtime import Engine

    @app.before_request
    def _engine_and_user() -> None:
        g.engine = Engine(db.session, app.extensions["clock"], app.config.get("ENGINE_SETTINGS"))
        load_current_user()
        refuse_control_characters()

    app.after_request(add_security_headers)


def _register_blueprints(app: Flask) -> None:
    from web.admin import bp as admin_bp
    from web.admin.saved_filters import bp as saved_filters_bp
    from web.audits import bp as audits_bp
    from web.auth import bp as auth_bp
    from web.portal import bp as portal_bp
    from web.reports import bp as reports_bp
    from web.studio import bp as studio_bp
    from web.tasks import bp as tasks_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(tasks_bp)
    app.register_blueprint(studio_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(audits_bp)
    app.register_blueprint(saved_filters_bp)
    app.register_blueprint(reports_bp)


def _register_template_helpers(app: Flask) -> None:
    from web import access, formatting
    from web.case_labels import first_response_label, visibility_label
    from workers.documents.charts import format_value

    app.jinja_env.filters["fecha"] = formatting.format_moment
    app.jinja_env.filters["clave"] = formatting.business_key_label
    app.jinja_env.filters["cifra"] = format_value
    app.jinja_env.globals["visibility_label"] = visibility_label
    app.jinja_env.filters["dia"] = formatting.format_day
    app.jinja_env.filters["forma_primera_respuesta"] = first_response_label
    app.jinja_env.globals["may_read_definitions"] = access.may_read_definitions
    app.jinja_env.globals["may_read_console"] = access.may_read_console
    app.jinja_env.globals["may_read_audits"] = access.may_read_audits
    app.jinja_env.globals["may_read_reports"] = access.may_read_reports
    app.jinja_env.globals["may_read_failures"] = access.may_read_failures
    app.jinja_env.globals["may_file_for_citizen"] = access.may_file_for_citizen
    app.jinja_env.globals["html_lang"] = lambda: str(get_locale()).replace("_", "-")
    _install_catalogue(app)


def _install_catalogue(app: Flask) -> None:
    """Templates translate through the app's one catalogue, loaded once per process.

    The app speaks one language (the locale selector returns BABEL_DEFAULT_LOCALE), while
    Flask-Babel's template callables resolve the request's locale and catalogue again for
    every string: about a hundred times per inbox page."""
    with app.test_request_context():
        catalogue = get_translations()
    app.jinja_env.install_gettext_translations(catalogue, newstyle=True)

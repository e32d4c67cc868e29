"""Error pages in Spanish, for refusals and for failures alike.

Whatever went wrong, the request's database session is rolled back before the page renders:
the page itself reads the user (and the layout their name), which a session left in a failed
transaction would refuse with ``PendingRollbackError`` and turn into a bare 500.
"""

from flask import Flask, current_app, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from web.extensions import db


def database_busy(error: Exception) -> bool:
    """SQLite's write lock stayed taken longer than the busy timeout."""
    return isinstance(error, OperationalError) and "database is locked" in str(error.orig)


def busy_message() -> str:
    return _(
        "El sistema está atendiendo muchas solicitudes en este momento. "
        "No se guardó ningún cambio: espere unos segundos e intente de nuevo."
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        message = _(
            "El formulario expiró o no es válido. Vuelva a cargar la página e intente de nuevo."
        )
        return render_template("error.html", title=_("Solicitud rechazada"), message=message), 400

    @app.errorhandler(SQLAlchemyError)
    def _database(error: SQLAlchemyError) -> tuple[str, int, dict[str, str]]:
        return database_error_page(error)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        if code >= 500:
            db.session.rollback()
        titles = {
            400: _("Solicitud no válida"),
            403: _("Acceso no permitido"),
            404: _("Página no encontrada"),
            405: _("Método no permitido"),
            409: _("Conflicto"),
            413: _("Envío demasiado grande"),
            429: _("Demasiados intentos"),
            503: _("Servicio no disponible"),
        }
        messages = {
            400: _("Revise los datos enviados e intente de nuevo."),
            403: _("No tiene permiso para ver o hacer esto."),
            404: _("Lo que busca no existe o ya no está disponible."),
            413: _(
                "Lo que envió supera el tamaño permitido: revise el tamaño de los archivos y la "
                "longitud de los textos."
            ),
            429: _("Demasiados intentos de ingreso. Espere un minuto antes de intentar de nuevo."),
        }
        title = titles.get(code, _("Error"))
        # A view that aborts with its own (Spanish) description says what was wrong.
        own = error.description if error.description != type(error).description else None
        message = own or messages.get(code, _("No fue posible atender la solicitud."))
        return render_template("error.html", title=title, message=message), code, {}


def roll_back(error: SQLAlchemyError) -> None:
    """End the request's failed transaction (the session works again) and log why."""
    db.session.rollback()
    current_app.logger.error("database error: %s", error, exc_info=error)


def database_error_page(error: SQLAlchemyError) -> tuple[str, int, dict[str, str]]:
    """Roll back, log, and answer in Spanish: 503 "try again" when SQLite's write lock is busy,
    400 for a value the database refused, 503 for any other failure."""
    roll_back(error)
    if database_busy(error):
        page = render_template("error.html", title=_("Sistema ocupado"), message=busy_message())
        return page, 503, {"Retry-After": "5"}
    if isinstance(error, DataError | IntegrityError):
        title, code = _("Solicitud no válida"), 400
        message = _(
            "Uno de los datos enviados no pudo guardarse. Revise lo que escribió e intente de "
            "nuevo."
        )
    else:
        title, code = _("Servicio no disponible"), 503
        message = _(
            "No pudimos guardar los cambios por una falla momentánea. Intente de nuevo en unos "
            "minutos; si el problema continúa, comuníquese con nosotros."
        )
    return render_template("error.html", title=title, message=message), code, {}

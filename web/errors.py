"""Error pages in Spanish."""

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
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

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        titles = {
            400: _("Solicitud no válida"),
            403: _("Acceso no permitido"),
            404: _("Página no encontrada"),
            405: _("Método no permitido"),
            409: _("Conflicto"),
            413: _("Archivo demasiado grande"),
            429: _("Demasiados intentos"),
        }
        messages = {
            403: _("No tiene permiso para ver o hacer esto."),
            404: _("Lo que busca no existe o ya no está disponible."),
            413: _("Los archivos enviados superan el tamaño permitido."),
            429: _("Demasiados intentos de ingreso. Espere un minuto antes de intentar de nuevo."),
        }
        title = titles.get(code, _("Error"))
        message = messages.get(code, _("No fue posible atender la solicitud."))
        return render_template("error.html", title=title, message=message), code

    @app.errorhandler(OperationalError)
    def _database(error: OperationalError) -> tuple[str, int, dict[str, str]]:
        db.session.rollback()
        if database_busy(error):
            page = render_template("error.html", title=_("Sistema ocupado"), message=busy_message())
            return page, 503, {"Retry-After": "5"}
        message = _("No fue posible atender la solicitud.")
        return render_template("error.html", title=_("Error"), message=message), 500, {}

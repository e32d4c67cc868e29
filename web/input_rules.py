"""Rules every submitted value passes, whatever the page: text no longer than the column that
stores it, no control characters, e-mail addresses that are addresses, numbers and dates in
a range the database and the calendar can hold.

Lengths are read from the SQLAlchemy columns, so the model stays their one source of truth.
"""

import re
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import abort, request
from flask_babel import gettext as _
from sqlalchemy.orm import InstrumentedAttribute
from werkzeug.routing import IntegerConverter

# C0 controls and DEL; tab, line feed and carriage return are text in a multi-line field.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")

# Integer primary keys (INTEGER on both databases) and counts typed into forms.
MAX_ROW_ID = 2**31 - 1
MAX_PAGE = 100_000
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)


def column_length(column: InstrumentedAttribute[Any]) -> int:
    """The declared length of a String column (``String(200)`` → 200), or the ``max_length``
    a Text column declares in its ``info``."""
    declared = column.property.columns[0]
    length = declared.type.length or declared.info.get("max_length")
    if length is None:
        raise ValueError(f"{column} has no length")
    return int(length)


def has_control_characters(text: str, multiline: bool = False) -> bool:
    return bool(_CONTROL.search(text) or (not multiline and _LINE_BREAKS.search(text)))


def text_error(text: str, max_length: int, multiline: bool = False) -> str | None:
    """The Spanish reason a submitted text is refused, or None when it is acceptable."""
    if has_control_characters(text, multiline):
        return _("El texto contiene caracteres no permitidos (caracteres de control).")
    if len(text) > max_length:
        return _("El texto es demasiado largo (máximo %(n)s caracteres).", n=max_length)
    return None


def check_texts(
    form: dict[str, str], columns: dict[str, InstrumentedAttribute[Any]]
) -> dict[str, str]:
    """Field name → Spanish error for each single-line field too long for its column."""
    errors = {}
    for name, column in columns.items():
        error = text_error(form.get(name, "").strip(), column_length(column))
        if error:
            errors[name] = error
    return errors


def normalized_email(text: str) -> str | None:
    """The address in its normal form, or None when it is not a valid e-mail address.

    Syntax only (no DNS look-up at request time); quoted local parts are refused, so
    ``"><script>@x.co`` is not an address here.
    """
    try:
        checked = validate_email(text, check_deliverability=False, allow_quoted_local=False)
    except EmailNotValidError:
        return None
    return str(checked.normalized)


def bounded_int(raw: str | None, minimum: int, maximum: int) -> int | None:
    """The integer written in ``raw`` when it lies in [minimum, maximum], else None."""
    text = (raw or "").strip()
    if not text or len(text) > 12 or not text.lstrip("-").isdigit():
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def query_page(name: str = "pagina") -> int:
    """A page number from the query string: 1 when absent, 400 when not a sensible page."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return 1
    number = bounded_int(raw, 1, MAX_PAGE)
    if number is None:
        abort(400, _("El número de página no es válido."))
    return number


def query_day(name: str) -> date | None:
    """A YYYY-MM-DD date from the query string: None when absent, 400 when out of range."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        abort(400, _("La fecha no es válida; use el formato AAAA-MM-DD."))
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        abort(400, _("La fecha está fuera del rango permitido."))
    return day


class RowIdConverter(IntegerConverter):
    """``<id:…>`` in a URL: a row id the database can hold; anything larger is a 404."""

    def __init__(self, map: Any, **kwargs: Any) -> None:
        super().__init__(map, min=1, max=MAX_ROW_ID, **kwargs)


def refuse_control_characters() -> None:
    """Before each request: no control character in the path, the query or a form field.

    Multi-line fields may hold tab and line breaks; every other control character (NUL first:
    PostgreSQL refuses it in text) ends the request with a Spanish 400 page.
    """
    if has_control_characters(request.path):
        abort(400, _("La dirección contiene caracteres no permitidos."))
    for key, value in request.args.items(multi=True):
        if has_control_characters(key) or has_control_characters(value):
            abort(400, _("La dirección contiene caracteres no permitidos."))
    if request.method in ("POST", "PUT", "PATCH"):
        for key, value in request.form.items(multi=True):
            if has_control_characters(key) or has_control_characters(value, multiline=True):
                abort(400, _("El formulario contiene caracteres no permitidos."))

"""Server-side validation of a user task's data against its JSON Schema form.

Every form gets bounds where its author left none (``with_limits``, applied when a deployed
bundle is parsed): a text field a maximum length, a number a range the database and the
calendar can hold. Text never carries control characters (tab and line breaks only in
multi-line fields) and dates stay within two centuries, whatever the schema says.
"""

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from engine.errors import FormInvalid

# A single-line field with no maxLength of its own, and a multi-line one (x-widget textarea).
DEFAULT_MAX_LENGTH = 200
DEFAULT_MAX_LONG_LENGTH = 10_000
INTEGER_LIMIT = 2**31 - 1  # an INTEGER column; also far beyond any count of days
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")

_MESSAGES = {
    "required": "Este campo es obligatorio.",
    "type": "El valor no tiene el formato esperado.",
    "minLength": "El texto es demasiado corto (mínimo {limit} caracteres).",
    "maxLength": "El texto es demasiado largo (máximo {limit} caracteres).",
    "minimum": "El valor debe ser al menos {limit}.",
    "maximum": "El valor no puede ser mayor que {limit}.",
    "enum": "Elija una de las opciones.",
    "const": "Elija una de las opciones.",
    "oneOf": "Elija una de las opciones.",
    "format": "El formato no es válido.",
    "pattern": "El formato no es válido.",
    "minItems": "Seleccione al menos {limit} elemento(s).",
    "maxItems": "Seleccione como máximo {limit} elemento(s).",
}
CONTROL_MESSAGE = "El texto contiene caracteres no permitidos (caracteres de control)."
NUMBER_MESSAGE = "Escriba un número."
DATE_RANGE_MESSAGE = f"La fecha debe estar entre los años {EARLIEST_YEAR} y {LATEST_YEAR}."
DATE_MESSAGE = "Escriba una fecha válida (día, mes y año)."
DATETIME_MESSAGE = "Escriba una fecha y hora válidas (día, mes, año, hora y minutos)."


def _multiline(prop: dict[str, Any]) -> bool:
    return prop.get("x-widget") == "textarea"


def _bound(prop: dict[str, Any], multiline: bool) -> None:
    kind = prop.get("type")
    if kind == "string" and "maxLength" not in prop and "enum" not in prop:
        prop["maxLength"] = DEFAULT_MAX_LONG_LENGTH if multiline else DEFAULT_MAX_LENGTH
    elif kind in ("integer", "number"):
        prop.setdefault("minimum", -INTEGER_LIMIT)
        prop.setdefault("maximum", INTEGER_LIMIT)


def with_limits(schema: dict[str, Any]) -> dict[str, Any]:
    """The form with a maxLength on every text field and a range on every number that lacks
    one (in place; returns the schema). Choice fields (oneOf/enum) are bounded already."""
    for prop in schema.get("properties", {}).values():
        if not isinstance(prop, dict) or "oneOf" in prop:
            continue
        _bound(prop, _multiline(prop))
        items = prop.get("items")
        if prop.get("type") == "array" and isinstance(items, dict) and "oneOf" not in items:
            _bound(items, multiline=False)
    return schema


def _field(error: ValidationError) -> str:
    if error.validator == "required":
        return str(error.message.split("'")[1])
    path = [str(p) for p in error.absolute_path]
    return path[0] if path else "__all__"


def _message(error: ValidationError, schema: dict[str, Any], field: str) -> str:
    """The field's own ``x-mensaje`` (one text, or one per keyword: ``{"pattern": …}``), else
    the keyword's message."""
    custom = schema.get("properties", {}).get(field, {}).get("x-mensaje")
    if isinstance(custom, dict):
        custom = custom.get(str(error.validator))
    if custom:
        return str(custom)
    template = _MESSAGES.get(str(error.validator), "El valor no es válido.")
    return template.format(limit=error.validator_value)


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _year(text: str, fmt: str) -> int | None:
    """The year of a date (``AAAA-MM-DD``) or a date-time with its time; None if not one."""
    try:
        if fmt == "date":
            return date.fromisoformat(text).year
        if len(text) < 16 or "T" not in text.upper():  # a date-time needs its hour and minutes
            return None
        return datetime.fromisoformat(text).year
    except ValueError:
        return None


def _content_error(prop: dict[str, Any], value: Any) -> str | None:
    """What the schema cannot say: control characters, dates out of any sensible range, and
    numbers that are not (NaN and the infinities pass every minimum and maximum)."""
    if isinstance(value, float) and not math.isfinite(value):
        return NUMBER_MESSAGE
    for text in _texts(value):
        if _CONTROL.search(text) or (not _multiline(prop) and _LINE_BREAKS.search(text)):
            return CONTROL_MESSAGE
        fmt = prop.get("format")
        if fmt in ("date", "date-time"):
            # The schema's format check needs optional packages; a date is checked here.
            year = _year(text, fmt)
            if year is None:
                return DATE_MESSAGE if fmt == "date" else DATETIME_MESSAGE
            if not EARLIEST_YEAR <= year <= LATEST_YEAR:
                return DATE_RANGE_MESSAGE
    return None


def validate(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Return the data restricted to the form's fields, or raise FormInvalid in Spanish.

    Keys the form does not declare are dropped, so a request cannot plant other variables
    (``caso``, ``radicado``…) in the process data."""
    fields = schema.get("properties", {})
    # An optional field left blank in a browser arrives as "": it means "not given".
    clean = {key: value for key, value in data.items() if key in fields and value != ""}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors: dict[str, str] = {}
    for name, value in clean.items():
        problem = _content_error(fields[name], value)
        if problem:
            errors[name] = problem
    for error in validator.iter_errors(clean):
        field = _field(error)
        errors.setdefault(field, _message(error, schema, field))
    if errors:
        raise FormInvalid(errors)
    return clean


def with_read_only(
    schema: dict[str, Any], data: dict[str, Any], submitted: dict[str, Any]
) -> dict[str, Any]:
    """The submission with the form's read-only fields as the process holds them: a person
    never changes what the record says (a value sent for one is ignored)."""
    fields = schema.get("properties", {})
    merged = {k: v for k, v in submitted.items() if not fields.get(k, {}).get("readOnly")}
    for name, prop in fields.items():
        if prop.get("readOnly") and data.get(name) is not None:
            merged[name] = data[name]
    return merged


def carried_over(
    schema: dict[str, Any], data: dict[str, Any], earlier: dict[str, Any] | None
) -> dict[str, Any]:
    """The values a task's form opens with: what the process holds for the form's fields.

    ``earlier`` is what this same step submitted the last time it ran, when this is a new
    round of a loop (a second quality review, a report sent back). A value the step wrote
    itself then, and nothing changed since, starts blank: a verdict or a note of the earlier
    round is never sent again by mistake. A field marked ``"x-conservar": true`` (the answer
    draft) carries over; values the process set for this round (a script, a decision table)
    and read-only fields are shown."""
    earlier = earlier or {}
    values = {}
    for name, prop in schema.get("properties", {}).items():
        if name not in data:
            continue
        own = name in earlier and earlier[name] == data[name]
        if own and not (prop.get("x-conservar") or prop.get("readOnly")):
            continue
        values[name] = data[name]
    return values


def left_blank(schema: dict[str, Any], clean: dict[str, Any]) -> list[str]:
    """The form's fields a submission left blank: they no longer hold an earlier round's value."""
    return [
        name
        for name, prop in schema.get("properties", {}).items()
        if name not in clean and not prop.get("readOnly")
    ]


# --- suggestions --------------------------------------------------------------------------
# A form field may propose a value the process already knows (property ``x-sugerencia``):
#   {"desde": "area_sugerida", "excepto": "area_devuelta", "texto": "Sugerida por la matriz"}
#   {"desde": "tipo", "igual_a": "felicitacion", "texto": "Según el tipo radicado"}
# ``desde`` names the process variable; with ``igual_a`` the suggestion is whether it equals
# that value (a yes/no field). No suggestion when the variable is missing, or when it equals
# the ``excepto`` variable (the area that returned the case is not proposed again). The form
# opens with the suggestion chosen and names it; a different choice is logged as a correction.


@dataclass(frozen=True)
class Suggestion:
    value: Any
    text: str  # e.g. "Sugerida por la matriz: Vicepresidencia de Crédito y Cobranza"


def suggested_fields(schema: dict[str, Any]) -> list[str]:
    return [
        name
        for name, prop in schema.get("properties", {}).items()
        if isinstance(prop.get("x-sugerencia"), dict)
    ]


def suggestions(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Suggestion]:
    found: dict[str, Suggestion] = {}
    for name in suggested_fields(schema):
        prop = schema["properties"][name]
        rule = prop["x-sugerencia"]
        source = rule.get("desde")
        if source not in data or data[source] is None:
            continue
        value = data[source] == rule["igual_a"] if "igual_a" in rule else data[source]
        excluded = rule.get("excepto")
        if excluded and data.get(excluded) == value:
            continue
        text = f"{rule.get('texto', 'Sugerido')}: {display(prop, value)}"
        found[name] = Suggestion(value, text)
    return found


def corrections(
    schema: dict[str, Any], data: dict[str, Any], chosen: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """The suggested fields whose submitted value differs from the suggestion."""
    return {
        name: {"sugerido": suggestion.value, "elegido": chosen[name]}
        for name, suggestion in suggestions(schema, data).items()
        if name in chosen and chosen[name] != suggestion.value
    }


def correction_label(schema: dict[str, Any], changed: dict[str, dict[str, Any]]) -> str:
    parts = []
    for name, change in changed.items():
        prop = schema["properties"][name]
        parts.append(
            f"«{prop.get('title', name)}»: sugerido {display(prop, change['sugerido'])}, "
            f"elegido {display(prop, change['elegido'])}"
        )
    return "Corrigió la sugerencia — " + "; ".join(parts)


def display(prop: dict[str, Any], value: Any) -> str:
    """A value as the form shows it: the option's title, Sí/No for yes/no fields."""
    if value is True:
        return "Sí"
    if value is False:
        return "No"
    for choice in prop.get("oneOf", []):
        if choice.get("const") == value:
            return str(choice.get("title", value))
    return str(value)

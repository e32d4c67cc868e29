"""Server-side validation of a user task's data against its JSON Schema form."""

from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from engine.errors import FormInvalid

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


def _field(error: ValidationError) -> str:
    if error.validator == "required":
        return str(error.message.split("'")[1])
    path = [str(p) for p in error.absolute_path]
    return path[0] if path else "__all__"


def _message(error: ValidationError, schema: dict[str, Any], field: str) -> str:
    custom = schema.get("properties", {}).get(field, {}).get("x-mensaje")
    if custom:
        return str(custom)
    template = _MESSAGES.get(str(error.validator), "El valor no es válido.")
    return template.format(limit=error.validator_value)


def validate(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Return the data restricted to the form's fields, or raise FormInvalid in Spanish.

    Keys the form does not declare are dropped, so a request cannot plant other variables
    (``caso``, ``radicado``…) in the process data."""
    fields = schema.get("properties", {})
    # An optional field left blank in a browser arrives as "": it means "not given".
    clean = {key: value for key, value in data.items() if key in fields and value != ""}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors: dict[str, str] = {}
    for error in validator.iter_errors(clean):
        field = _field(error)
        errors.setdefault(field, _message(error, schema, field))
    if errors:
        raise FormInvalid(errors)
    return clean


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

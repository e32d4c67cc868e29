"""What each service operation hands back to its diagram, as JSON Schema: an administrator's
result entered by hand (skipping a failed service, moving past a stuck one) must have it."""

from typing import Any

from jsonschema import Draft202012Validator

from engine.errors import EngineError

_OBJECT: dict[str, Any] = {"type": "object"}
EXPECTED: dict[str, dict[str, Any]] = {
    "notify": {
        "type": "object",
        "required": ["enviado"],
        "properties": {"enviado": {"type": "boolean"}},
    },
    "legacy_lookup": {
        "type": "object",
        "required": ["sistemas"],
        "properties": {"sistemas": {"type": "object"}, "resumen": {"type": "string"}},
    },
    "audit_sample": {
        "type": "object",
        "required": ["muestra"],
        "properties": {"muestra": {"type": "array", "items": {"type": "string"}}},
    },
    "audit_report": {
        "type": "object",
        "required": ["informe"],
        "properties": {"informe": {"type": "string"}, "datos": {"type": "object"}},
    },
    "monthly_report": {
        "type": "object",
        "required": ["reporte"],
        "properties": {"reporte": {"type": "object"}, "texto": {"type": "string"}},
    },
}
EXAMPLES: dict[str, str] = {
    "notify": '{"enviado": true}',
    "legacy_lookup": '{"sistemas": {}, "resumen": "Sin registros"}',
    "audit_sample": '{"muestra": []}',
    "audit_report": '{"informe": "Informe elaborado a mano"}',
    "monthly_report": '{"reporte": {}, "texto": "Reporte elaborado a mano"}',
}
TYPE_NAMES = {
    "object": "un objeto",
    "array": "una lista",
    "string": "un texto",
    "boolean": "verdadero o falso",
    "number": "un número",
    "integer": "un número entero",
}


def example(operation: str) -> str:
    return EXAMPLES.get(operation, "{}")


def check(operation: str, result: Any) -> dict[str, Any]:
    """``result`` if it has what ``operation``'s step expects; a Spanish EngineError if not."""
    schema = EXPECTED.get(operation, _OBJECT)
    error = next(iter(Draft202012Validator(schema).iter_errors(result)), None)
    if error is None:
        return result
    where = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        missing = next(f for f in schema.get("required", []) if f not in result)
        detail = f"falta el campo «{missing}»"
    elif error.validator == "type":
        expected = TYPE_NAMES.get(str(error.validator_value), str(error.validator_value))
        detail = f"«{where}» debe ser {expected}" if where else f"debe ser {expected}"
    else:
        detail = error.message
    raise EngineError(
        f"El resultado no es el que espera el paso: {detail}. Ejemplo: {example(operation)}"
    )

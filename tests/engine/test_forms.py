"""Task data is checked against its form, and every form is bounded even where its author
left a text without maxLength or a number without a range."""

import json
from typing import Any

import pytest

from engine import definitions, forms
from engine.errors import FormInvalid
from tests.conftest import ROOT


def _form(**properties: Any) -> dict[str, Any]:
    return forms.with_limits({"type": "object", "properties": properties})


def _refused(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(FormInvalid) as refused:
        forms.validate(schema, data)
    return refused.value.errors


def test_a_text_without_maxlength_gets_one_and_it_is_enforced() -> None:
    schema = _form(
        nota={"type": "string"},
        detalle={"type": "string", "x-widget": "textarea"},
        codigos={"type": "array", "items": {"type": "string"}},
    )
    assert schema["properties"]["nota"]["maxLength"] == forms.DEFAULT_MAX_LENGTH
    assert schema["properties"]["detalle"]["maxLength"] == forms.DEFAULT_MAX_LONG_LENGTH
    assert schema["properties"]["codigos"]["items"]["maxLength"] == forms.DEFAULT_MAX_LENGTH
    errors = _refused(schema, {"nota": "n" * (forms.DEFAULT_MAX_LENGTH + 1)})
    assert errors == {
        "nota": f"El texto es demasiado largo (máximo {forms.DEFAULT_MAX_LENGTH} caracteres)."
    }
    assert forms.validate(schema, {"nota": "n" * forms.DEFAULT_MAX_LENGTH})


def test_an_authors_own_limits_and_choices_are_kept() -> None:
    schema = _form(
        asunto={"type": "string", "maxLength": 150},
        tipo={"type": "string", "oneOf": [{"const": "a"}]},
        dias={"type": "integer", "minimum": 1, "maximum": 30},
    )
    assert schema["properties"]["asunto"]["maxLength"] == 150
    assert "maxLength" not in schema["properties"]["tipo"]
    assert (schema["properties"]["dias"]["minimum"], schema["properties"]["dias"]["maximum"]) == (
        1,
        30,
    )


def test_a_number_without_a_range_is_held_to_what_the_database_can_store() -> None:
    schema = _form(cantidad={"type": "integer"})
    errors = _refused(schema, {"cantidad": 10**20})
    assert errors == {"cantidad": f"El valor no puede ser mayor que {forms.INTEGER_LIMIT}."}
    assert forms.validate(schema, {"cantidad": 12}) == {"cantidad": 12}


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_a_number_must_be_a_number(number: float) -> None:
    schema = _form(nota={"type": "number", "minimum": 0, "maximum": 100})
    assert _refused(schema, {"nota": number}) == {"nota": forms.NUMBER_MESSAGE}


@pytest.mark.parametrize("character", ["\x00", "\x08", "\x0b", "\x1b", "\x7f"])
def test_control_characters_are_refused_in_any_text(character: str) -> None:
    schema = _form(
        nota={"type": "string"},
        detalle={"type": "string", "x-widget": "textarea"},
        codigos={"type": "array", "items": {"type": "string"}},
    )
    for name, value in [
        ("nota", f"a{character}b"),
        ("detalle", f"a{character}b"),
        ("codigos", ["ok", f"a{character}"]),
    ]:
        assert _refused(schema, {name: value}) == {name: forms.CONTROL_MESSAGE}


def test_line_breaks_and_tabs_only_in_multi_line_text() -> None:
    schema = _form(nota={"type": "string"}, detalle={"type": "string", "x-widget": "textarea"})
    assert forms.validate(schema, {"detalle": "uno\n\tdos\r\ntres"})
    for value in ("uno\ndos", "uno\tdos", "uno\rdos"):
        assert _refused(schema, {"nota": value}) == {"nota": forms.CONTROL_MESSAGE}


@pytest.mark.parametrize(
    ("fmt", "value"),
    [("date", "9999-12-31"), ("date", "0001-01-01"), ("date-time", "9999-12-31T23:59:00-05:00")],
)
def test_dates_out_of_range_are_refused(fmt: str, value: str) -> None:
    schema = _form(fecha={"type": "string", "format": fmt})
    assert _refused(schema, {"fecha": value}) == {"fecha": forms.DATE_RANGE_MESSAGE}


def test_dates_in_range_pass() -> None:
    schema = _form(
        dia={"type": "string", "format": "date"}, en={"type": "string", "format": "date-time"}
    )
    assert forms.validate(schema, {"dia": "2026-03-10", "en": "2026-03-10T08:00:00-05:00"})


def test_every_deployed_form_bounds_each_text_and_number() -> None:
    files = definitions.read_directory(ROOT)
    bundle = definitions.parse(files)
    for name, schema in bundle.forms.items():
        for field, prop in schema["properties"].items():
            source = prop.get("items", prop) if prop.get("type") == "array" else prop
            if "oneOf" in source or "enum" in source or "oneOf" in prop:
                continue
            if source.get("type") == "string":
                assert "maxLength" in source, (name, field)
            if source.get("type") in ("integer", "number"):
                assert "minimum" in source and "maximum" in source, (name, field)
    # The stored files are unchanged: the limits live in the parsed bundle only.
    assert "maxLength" not in json.loads(files["forms/f182.json"])["properties"]["fecha_ingreso"]


DATED = {
    "type": "object",
    "properties": {
        "cuando": {"type": "string", "format": "date-time"},
        "dia": {"type": "string", "format": "date"},
    },
}


@pytest.mark.parametrize("value", ["ayer", "2026-03-10", "10/03/2026 8:00", "2026-13-01T08:00"])
def test_a_date_time_field_refuses_anything_but_a_date_and_time(value) -> None:
    with pytest.raises(FormInvalid) as refused:
        forms.validate(DATED, {"cuando": value})
    assert refused.value.errors == {"cuando": forms.DATETIME_MESSAGE}


def test_a_date_field_refuses_words_and_takes_a_calendar_day() -> None:
    with pytest.raises(FormInvalid) as refused:
        forms.validate(DATED, {"dia": "ayer"})
    assert refused.value.errors == {"dia": forms.DATE_MESSAGE}
    assert forms.validate(DATED, {"cuando": "2026-03-10T08:00-05:00", "dia": "2026-03-10"})


def test_a_read_only_field_keeps_the_process_value_whatever_is_sent() -> None:
    schema = {"type": "object", "properties": {"radicado": {"type": "string", "readOnly": True}}}
    merged = forms.with_read_only(schema, {"radicado": "AV-2026-000001"}, {"radicado": "otro"})
    assert merged == {"radicado": "AV-2026-000001"}


def _answer_form() -> dict[str, Any]:
    schema = json.loads((ROOT / "forms" / "elaborar_respuesta.json").read_text())
    return forms.with_limits(schema)


def test_an_answer_still_holding_a_template_gap_is_refused_with_its_own_message() -> None:
    schema = _answer_form()
    base = {"plantilla": "respuesta_queja_reclamo"}
    gap = "Respetado(a) Ana:\n\nRevisamos su caso:\n\n[Explique lo encontrado y las acciones.]\n"
    assert _refused(schema, {**base, "respuesta": gap}) == {
        "respuesta": "La respuesta aún tiene texto de la plantilla entre corchetes, como "
        "«[Explique …]»: reemplácelo por lo que corresponde a este caso."
    }
    # Each keyword keeps its own message: too short is not reported as a template gap.
    assert _refused(schema, {**base, "respuesta": "Muy corta."}) == {
        "respuesta": "La respuesta debe tener al menos 30 caracteres."
    }
    filled = gap.replace("[Explique lo encontrado y las acciones.]", "Se reintegró el cobro [1].")
    assert forms.validate(schema, {**base, "respuesta": filled})["respuesta"] == filled


def test_a_keyword_without_its_own_message_gets_the_common_one() -> None:
    schema = _form(
        nota={"type": "string", "maxLength": 5, "x-mensaje": {"minLength": "Muy corta."}}
    )
    assert _refused(schema, {"nota": "demasiado"}) == {
        "nota": "El texto es demasiado largo (máximo 5 caracteres)."
    }


def test_approving_an_answer_that_fails_a_criterion_says_what_the_rule_is() -> None:
    schema = forms.with_limits(json.loads((ROOT / "forms" / "revisar_respuesta.json").read_text()))
    review = {"acorde": True, "clara": False, "sin_errores_forma": True, "cumple": True}
    errors = _refused(schema, review)
    assert list(errors) == ["clara"]
    assert errors["clara"].startswith("Para aprobar la respuesta («¿La respuesta cumple?»: Sí)")
    assert forms.validate(schema, {**review, "clara": True})

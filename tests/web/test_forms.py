"""The JSON Schema form renderer: fields in order, widgets from hints, data back typed."""

import json
from pathlib import Path

from flask import Flask, render_template_string
from werkzeug.datastructures import MultiDict

from web.forms import build_fields, parse_submission

FORMS = Path(__file__).resolve().parents[2] / "forms"


def _form(name: str) -> dict:
    return json.loads((FORMS / name).read_text(encoding="utf-8"))


def test_fields_follow_x_order_and_hints() -> None:
    fields = build_fields(_form("radicar.json"))
    assert [f.name for f in fields] == [
        "tipo",
        "modalidad",
        "servicio",
        "asunto",
        "descripcion",
        "adjuntos",
    ]
    by_name = {f.name: f for f in fields}
    assert by_name["tipo"].widget == "radio"
    assert [o.value for o in by_name["tipo"].options][:2] == ["solicitud", "queja"]
    assert by_name["servicio"].widget == "select"
    assert by_name["descripcion"].widget == "textarea"
    assert by_name["adjuntos"].widget == "file"
    assert by_name["asunto"].required and not by_name["modalidad"].required


def test_boolean_radio_offers_yes_and_no() -> None:
    fields = {f.name: f for f in build_fields(_form("revisar_respuesta.json"))}
    assert [o.value for o in fields["cumple"].options] == ["true", "false"]
    assert fields["acorde"].widget == "checkbox"


def test_submission_is_typed_by_the_schema() -> None:
    data = parse_submission(
        _form("escalar.json"),
        MultiDict({"area": "area_fondos", "dias_area": "5", "instrucciones_area": "  "}),
    )
    assert data == {"area": "area_fondos", "dias_area": 5}
    review = parse_submission(
        _form("revisar_respuesta.json"), MultiDict({"acorde": "true", "cumple": "false"})
    )
    assert review["acorde"] is True and review["clara"] is False and review["cumple"] is False


def test_errors_are_tied_to_their_field(app: Flask) -> None:
    fields = build_fields(_form("escalar.json"), {"dias_area": 90}, {"dias_area": "Muy largo."})
    with app.test_request_context():
        html = render_template_string(
            '{% from "_fields.html" import render_fields %}{{ render_fields(fields) }}',
            fields=fields,
        )
    assert 'id="error-dias_area"' in html
    assert 'aria-describedby="ayuda-dias_area error-dias_area"' in html
    assert 'aria-invalid="true"' in html
    assert '<label for="campo-area">' in html

"""What the process proposes reaches the Asesor, named, and a correction is on the record.

5.2.10: the escalation matrix's area is preselected and named; after a return, the area that
returned the case is not preselected. 5.2.6: the felicitación flag follows the filed type; the
Asesor may correct it, and the history says so.
"""

import re

from flask import Flask
from sqlalchemy import select

from engine.models import Event
from tests.web.conftest import log_in_staff
from web.extensions import db


def task_page(client, world, radicado: str, bpmn_id: str) -> str:
    return client.get(f"/bandeja/tareas/{world.open_task_id(radicado, bpmn_id)}").get_data(
        as_text=True
    )


def selected_area(page: str) -> str | None:
    match = re.search(r'<option value="(area_[a-z_]+)" selected>', page)
    return match.group(1) if match else None


def to_escalation(world, radicado: str) -> None:
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": False})
    world.complete(
        radicado, "ut_5_2_7", "asesor", {"complejidad": "alta", "analisis": "Requiere el área."}
    )
    world.complete(
        radicado,
        "ut_5_2_8",
        "asesor",
        {"escalar": True, "justificacion_escalamiento": "Solo el área lo sabe."},
    )


def test_the_matrix_s_area_is_preselected_and_named_at_5_2_10(app: Flask, world, client):
    world.staff("asesor", "asesor")
    radicado = world.file_case(world.citizen(), servicio="credito_educativo")
    to_escalation(world, radicado)
    log_in_staff(client, "asesor")
    page = task_page(client, world, radicado, "ut_5_2_10")
    assert selected_area(page) == "area_credito_cobranza"
    assert "Sugerida por la matriz: Vicepresidencia de Crédito y Cobranza" in page
    assert 'aria-describedby="sugerencia-area' in page


def test_after_a_return_the_returning_area_is_not_preselected(app: Flask, world, client):
    world.staff("asesor", "asesor")
    world.staff("funcionario.credito", "area_credito_cobranza")
    radicado = world.file_case(world.citizen(), servicio="credito_educativo")
    to_escalation(world, radicado)
    world.complete(
        radicado, "ut_5_2_10", "asesor", {"area": "area_credito_cobranza", "dias_area": 5}
    )
    world.complete(
        radicado,
        "ut_5_2_11",
        "funcionario.credito",
        {"es_de_mi_area": False, "motivo_devolucion": "Es un giro de Fondos, no un crédito."},
    )
    log_in_staff(client, "asesor")
    page = task_page(client, world, radicado, "ut_5_2_10")
    assert selected_area(page) is None
    assert "Sugerida por la matriz" not in page


def test_the_felicitacion_flag_follows_the_filed_type(app: Flask, world, client):
    world.staff("asesor", "asesor")
    citizen = world.citizen()
    compliment = world.file_case(citizen, tipo="felicitacion")
    claim = world.file_case(citizen)
    log_in_staff(client, "asesor")
    page = task_page(client, world, compliment, "ut_5_2_6")
    assert re.search(r'value="true"[^>]*checked', page)
    assert "Según el tipo que radicó el ciudadano: Sí" in page
    page = task_page(client, world, claim, "ut_5_2_6")
    assert re.search(r'value="false"[^>]*checked', page)


def test_a_corrected_felicitacion_flag_is_on_the_record(app: Flask, world, client):
    world.staff("asesor", "asesor")
    radicado = world.file_case(world.citizen(), tipo="felicitacion")
    log_in_staff(client, "asesor")
    task_id = world.open_task_id(radicado, "ut_5_2_6")
    assert (
        client.post(f"/bandeja/tareas/{task_id}", data={"es_felicitacion": "false"}).status_code
        == 302
    )
    with app.app_context():
        labels = db.session.scalars(select(Event.label).where(Event.kind == "corregido")).all()
    assert labels == ["Corrigió la sugerencia — «¿Es una felicitación?»: sugerido Sí, elegido No"]
    page = client.get(f"/bandeja/casos/{radicado}").get_data(as_text=True)
    assert "sugerido Sí, elegido No" in page


def test_following_the_suggestion_records_no_correction(app: Flask, world, client):
    world.staff("asesor", "asesor")
    radicado = world.file_case(world.citizen(), tipo="felicitacion")
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": True})
    with app.app_context():
        assert db.session.scalars(select(Event).where(Event.kind == "corregido")).all() == []

"""Each person sees what the people before them wrote: a step's record is read from the event
log with the form of the version the instance runs (labels, choices' titles, Sí/No, Spanish
dates, files by name), on the task page and on the staff case file."""

import json
import re

from flask import Flask
from flask.testing import FlaskClient

from engine.definitions import read_directory
from tests.conftest import ROOT
from tests.web.conftest import PDF, log_in_staff, upload
from web.extensions import db

INSTRUCTIONS = "Confirme la fecha del giro del semestre 2026-1."
FINDINGS = "El giro salió el 3 de marzo y la universidad lo recibió."
INFORMATION = "El giro se hizo el 3 de marzo y la universidad ya lo aplicó a la matrícula."
DRAFT = "Respetada ciudadana: el giro se hizo el 3 de marzo. Cordialmente, ICETEX."
NOTE = "Falta indicar que la universidad ya aplicó el giro."
# What people must never read: group codes, event kinds, Python's None, ISO timestamps.
RAW = re.compile(r"area_fondos|\(task_completed\)|\(hito\)|\bNone\b|\d{4}-\d\d-\d\dT\d\d:")


def _text(html: str) -> str:
    """What a person reads: the page without its tags and attributes."""
    return re.sub(r"<[^>]+>", " ", html)


def _people(world) -> str:
    citizen = world.citizen()
    world.staff("asesor", "asesor")
    world.staff("funcionario.fondos", "area_fondos")
    world.staff("calidad", "agente_calidad")
    return world.file_case(citizen)


def _escalate(world, radicado: str) -> None:
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": False})
    world.complete(
        radicado,
        "ut_5_2_7",
        "asesor",
        {"complejidad": "alta", "analisis": "Necesita datos del área."},
    )
    world.complete(
        radicado,
        "ut_5_2_8",
        "asesor",
        {"escalar": True, "justificacion_escalamiento": "Solo el área sabe."},
    )
    world.complete(
        radicado,
        "ut_5_2_10",
        "asesor",
        {"area": "area_fondos", "dias_area": 5, "instrucciones_area": INSTRUCTIONS},
    )


def _page(client: FlaskClient, world, radicado: str, bpmn_id: str) -> str:
    response = client.get(f"/bandeja/tareas/{world.open_task_id(radicado, bpmn_id)}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _earlier(page: str) -> str:
    """The «what earlier steps recorded» section of a task page."""
    start = page.index('id="antes-titulo"')
    return page[start : page.index("</section>", start)]


def _to_the_answer(client: FlaskClient, world, radicado: str) -> None:
    _escalate(world, radicado)
    world.complete(radicado, "ut_5_2_11", "funcionario.fondos", {"es_de_mi_area": True})
    log_in_staff(client, "funcionario.fondos")
    task_id = world.open_task_id(radicado, "ut_5_2_12")
    response = client.post(
        f"/bandeja/tareas/{task_id}",
        data={"hallazgos": FINDINGS, "adjuntos_investigacion": [upload(PDF, "extracto-giro.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    world.complete(radicado, "ut_5_2_13", "funcionario.fondos", {"informacion_area": INFORMATION})


def test_the_funcionario_reads_the_asesors_instructions_and_the_legacy_lookup(
    client: FlaskClient, world
) -> None:
    radicado = _people(world)
    _escalate(world, radicado)
    log_in_staff(client, "funcionario.fondos")
    page = _page(client, world, radicado, "ut_5_2_11")
    earlier = _earlier(page)
    assert "5.2.10 Escalar al área competente" in earlier
    assert "Instrucciones para el área" in earlier and INSTRUCTIONS in earlier
    # The area by its name, the decision in words, never the codes.
    assert "Vicepresidencia de Fondos en Administración" in earlier
    assert "Se escala al área competente" in earlier
    assert not RAW.search(_text(earlier))
    # The legacy look-up of 5.2.8, as tables with headers (one row per credit).
    legacy = page[page.index('id="legado-titulo"') :]
    assert "<table" in legacy and '<th scope="col">Número crédito</th>' in legacy
    assert "Universidad Nacional de Colombia" in legacy
    # The filing and the portal steps are the case's own section, not a step record.
    assert "Paso en el portal" not in earlier and "5.2.5" not in earlier


def test_after_a_return_the_asesor_reads_why_it_is_not_that_area(
    client: FlaskClient, world
) -> None:
    radicado = _people(world)
    _escalate(world, radicado)
    reason = "Corresponde a Crédito y Cobranza: es una cuota, no un fondo."
    world.complete(
        radicado,
        "ut_5_2_11",
        "funcionario.fondos",
        {"es_de_mi_area": False, "motivo_devolucion": reason},
    )
    log_in_staff(client, "asesor")
    page = _page(client, world, radicado, "ut_5_2_10")
    earlier = _earlier(page)
    assert "Devuelta al Asesor: no corresponde al área" in earlier
    assert "Motivo de la devolución" in earlier and reason in earlier
    # The new round of 5.2.10 does not open on the area that returned it.
    assert 'value="area_fondos" selected' not in page


def test_the_asesor_reads_the_areas_findings_and_information_with_their_files(
    client: FlaskClient, world
) -> None:
    radicado = _people(world)
    _to_the_answer(client, world, radicado)
    log_in_staff(client, "asesor")
    earlier = _earlier(_page(client, world, radicado, "ut_5_2_14"))
    assert "Hallazgos de la investigación" in earlier and FINDINGS in earlier
    assert "Información para el Asesor" in earlier and INFORMATION in earlier
    link = re.search(r'<a href="(/adjuntos/\d+)">extracto-giro.pdf</a>', earlier)
    assert link is not None
    assert client.get(link.group(1)).data == PDF
    assert earlier.index(INFORMATION) < earlier.index(FINDINGS)  # newest first


def test_quality_reads_the_answer_under_review_and_a_second_review_starts_blank(
    client: FlaskClient, world
) -> None:
    radicado = _people(world)
    _to_the_answer(client, world, radicado)
    draft = {"plantilla": "respuesta_queja_reclamo", "respuesta": DRAFT}
    world.complete(radicado, "ut_5_2_14", "asesor", draft)
    log_in_staff(client, "calidad")
    page = _page(client, world, radicado, "ut_5_2_15")
    earlier = _earlier(page)
    assert "Respuesta en revisión" in earlier and DRAFT in earlier
    assert "Respuesta a queja o reclamo" in earlier  # the template by its title
    assert "Borradores anteriores" not in page
    world.complete(
        radicado,
        "ut_5_2_15",
        "calidad",
        {
            "cumple": False,
            "acorde": True,
            "clara": False,
            "sin_errores_forma": True,
            "observaciones_calidad": NOTE,
        },
    )

    log_in_staff(client, "asesor")
    correcting = _page(client, world, radicado, "ut_5_2_14")
    assert "Respuesta rechazada" in _earlier(correcting) and NOTE in _earlier(correcting)
    assert DRAFT in correcting.split('id="campo-respuesta"')[1]  # the draft carries over
    world.complete(radicado, "ut_5_2_14", "asesor", {**draft, "respuesta": DRAFT + " Anexo."})

    log_in_staff(client, "calidad")
    second = _page(client, world, radicado, "ut_5_2_15")
    form = second[second.index('<form method="post" enctype') :]
    assert "checked" not in form and NOTE not in form  # blank: no old «No», no old note
    earlier = _earlier(second)
    assert "Respuesta rechazada" in earlier and NOTE in earlier  # the earlier rejection
    assert earlier.index("Respuesta en revisión") < earlier.index("Respuesta rechazada")
    world.complete(
        radicado,
        "ut_5_2_15",
        "calidad",
        {"cumple": True, "acorde": True, "clara": True, "sin_errores_forma": True},
    )

    case = client.get(f"/bandeja/casos/{radicado}").get_data(as_text=True)
    history = case[case.index('id="historial-titulo"') :]
    assert "Respuesta rechazada" in history and "Respuesta aprobada" in history
    approved = history[history.index("Respuesta aprobada") :]
    assert NOTE not in approved  # the approval does not carry the earlier note


def test_the_case_file_is_one_readable_record_per_step_with_the_current_step_on_top(
    client: FlaskClient, world
) -> None:
    radicado = _people(world)
    _to_the_answer(client, world, radicado)
    log_in_staff(client, "asesor")
    page = client.get(f"/bandeja/casos/{radicado}").get_data(as_text=True)
    main = page[page.index("<main") :]
    current = main[main.index("Paso actual") : main.index("</div>", main.index("Paso actual"))]
    assert "5.2.14 Elaborar la respuesta según el protocolo" in current
    assert "Grupo: asesor" in current or "Asesor" in current
    assert main.index("Paso actual") < main.index("Historial del caso")
    history = main[main.index('id="historial-titulo"') :]
    for text in (
        "5.2.6 Revisar la solicitud registrada",
        "¿Es una felicitación?",
        "Alta: puede requerir escalamiento a un área",  # the choice's title, not «alta»
        "Vicepresidencia de Fondos en Administración",
        INSTRUCTIONS,
        "El área acepta la solicitud",
        FINDINGS,
        "extracto-giro.pdf",
        INFORMATION,
    ):
        assert text in history, text
    assert '<th scope="col">Número crédito</th>' in history  # the 5.2.8 look-up, as tables
    assert "Correo enviado." in history  # 5.2.9, in words
    assert "Área</dt><dd>Vicepresidencia de Fondos en Administración" in main
    assert not RAW.search(_text(main)), RAW.search(_text(main))


def test_a_field_added_to_a_form_shows_up_and_its_visibility_is_the_forms_word(
    app: Flask, client: FlaskClient, world
) -> None:
    files = read_directory(ROOT)
    form = json.loads(files["forms/investigar.json"])
    form["properties"]["fecha_verificacion"] = {
        "type": "string",
        "format": "date",
        "title": "Fecha de verificación en el banco",
    }
    form["properties"]["fuentes_consultadas"]["x-visible-despues"] = False
    files["forms/investigar.json"] = json.dumps(form, ensure_ascii=False)
    with app.app_context():
        world.engine().deploy(files)
        db.session.commit()
    radicado = _people(world)
    _escalate(world, radicado)
    world.complete(radicado, "ut_5_2_11", "funcionario.fondos", {"es_de_mi_area": True})
    world.complete(
        radicado,
        "ut_5_2_12",
        "funcionario.fondos",
        {
            "hallazgos": FINDINGS,
            "fuentes_consultadas": "Extracto bancario de marzo.",
            "fecha_verificacion": "2026-03-04",
        },
    )
    log_in_staff(client, "funcionario.fondos")
    earlier = _earlier(_page(client, world, radicado, "ut_5_2_13"))
    assert "Fecha de verificación en el banco" in earlier
    assert "4 de marzo de 2026" in earlier  # a date in Spanish, never 2026-03-04
    assert "Extracto bancario de marzo." not in earlier  # x-visible-despues: false
    case = client.get(f"/bandeja/casos/{radicado}").get_data(as_text=True)
    assert "Extracto bancario de marzo." in case  # the staff case file shows everything
    assert "Fecha de verificación en el banco" in case


def test_a_legacy_systems_codes_read_as_spanish_words() -> None:
    from web.legacy_panel import cell, label

    assert label("dias_mora") == "Días mora"
    assert cell("estado", "en amortizacion") == "En amortización"
    assert cell("area", "area_tesoreria") == "Área tesorería"
    assert cell("codigo_linea", "TU_ELIGES_30") == "TU_ELIGES_30"  # a product code stays as is

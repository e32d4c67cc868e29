"""Staff inbox and task pages: tabs, filters, claim, release, reassign, complete."""

import io
import json
import logging
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from engine.clock import ManualClock
from tests.web.conftest import log_in_staff
from web.extensions import db
from web.ops import logs


def _setup(world) -> tuple[int, str]:
    citizen = world.citizen()
    world.staff("asesor", "asesor")
    world.staff("asesor2", "asesor")
    world.staff("coordinador", "coordinador", "asesor")
    world.staff("calidad", "agente_calidad")
    world.staff("funcionario.fondos", "area_fondos")
    return citizen, world.file_case(citizen)


def test_the_group_tab_lists_the_groups_tasks_and_mine_is_empty(client: FlaskClient, world) -> None:
    _, radicado = _setup(world)
    log_in_staff(client, "asesor")
    group = client.get("/bandeja/?vista=group").get_data(as_text=True)
    assert radicado in group and "5.2.6 Revisar la solicitud registrada" in group
    mine = client.get("/bandeja/?vista=mine").get_data(as_text=True)
    assert radicado not in mine and "No tiene tareas tomadas" in mine


def test_claim_moves_the_task_to_mine_and_release_gives_it_back(client: FlaskClient, world) -> None:
    _, radicado = _setup(world)
    task_id = world.open_task_id(radicado, "ut_5_2_6")
    log_in_staff(client, "asesor")
    assert client.post(f"/bandeja/tareas/{task_id}/tomar").status_code == 302
    assert radicado in client.get("/bandeja/?vista=mine").get_data(as_text=True)
    # Someone else in the group cannot take it any more, nor complete it.
    other = client.application.test_client()
    log_in_staff(other, "asesor2")
    assert other.post(f"/bandeja/tareas/{task_id}/tomar").status_code == 409
    assert (
        other.post(f"/bandeja/tareas/{task_id}", data={"es_felicitacion": "false"}).status_code
        == 403
    )
    assert client.post(f"/bandeja/tareas/{task_id}/liberar").status_code == 302
    assert radicado not in client.get("/bandeja/?vista=mine").get_data(as_text=True)


def test_a_supervisor_reassigns_and_a_plain_member_cannot(
    app: Flask, client: FlaskClient, world
) -> None:
    _, radicado = _setup(world)
    task_id = world.open_task_id(radicado, "ut_5_2_6")
    asesor2 = world.staff("asesor2", "asesor")
    log_in_staff(client, "asesor")
    assert (
        client.post(f"/bandeja/tareas/{task_id}/reasignar", data={"asignado": asesor2}).status_code
        == 403
    )
    boss = app.test_client()
    log_in_staff(boss, "coordinador")
    page = boss.get(f"/bandeja/tareas/{task_id}").get_data(as_text=True)
    assert "Reasignar a" in page
    assert (
        boss.post(f"/bandeja/tareas/{task_id}/reasignar", data={"asignado": asesor2}).status_code
        == 302
    )
    other = app.test_client()
    log_in_staff(other, "asesor2")
    assert radicado in other.get("/bandeja/?vista=mine").get_data(as_text=True)


def test_completing_with_invalid_data_shows_the_engines_messages(
    client: FlaskClient, world
) -> None:
    _, radicado = _setup(world)
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": False})
    task_id = world.open_task_id(radicado, "ut_5_2_7")
    log_in_staff(client, "asesor")
    response = client.post(f"/bandeja/tareas/{task_id}", data={"analisis": "corto"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="error-complejidad"' in page
    assert 'aria-describedby="ayuda-analisis error-analisis"' in page
    ok = client.post(
        f"/bandeja/tareas/{task_id}",
        data={"complejidad": "media", "analisis": "Caso de mediana complejidad."},
    )
    assert ok.status_code == 302


def test_task_page_shows_legacy_lookup_results(client: FlaskClient, world) -> None:
    _, radicado = _setup(world)
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": False})
    world.complete(
        radicado,
        "ut_5_2_7",
        "asesor",
        {"complejidad": "alta", "analisis": "Requiere revisar aplicativos."},
    )
    task_id = world.open_task_id(radicado, "ut_5_2_8")
    log_in_staff(client, "asesor")
    page = client.get(f"/bandeja/tareas/{task_id}").get_data(as_text=True)
    assert "Consulta en los aplicativos" in page
    assert "C&amp;CTEX (crédito y cartera)" in page  # the system by its name, not its code


def test_answer_templates_prefill_the_answer_without_javascript(client: FlaskClient, world) -> None:
    citizen = world.citizen("55555555", full_name="Marta Ruiz")
    world.staff("asesor", "asesor")
    radicado = world.file_case(
        citizen,
        tipo="felicitacion",
        asunto="Buena atención",
        descripcion="Me atendieron muy bien en la oficina.",
    )
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": True})
    task_id = world.open_task_id(radicado, "ut_5_2_14")
    log_in_staff(client, "asesor")
    page = client.get(f"/bandeja/tareas/{task_id}?plantilla=agradecimiento_felicitacion").get_data(
        as_text=True
    )
    assert "Respetado(a) Marta Ruiz" in page
    assert f"felicitación número {radicado}" in page
    assert '<option value="agradecimiento_felicitacion" selected>' in page


def test_quality_rejection_shows_earlier_draft_and_observations(client: FlaskClient, world) -> None:
    _, radicado = _setup(world)
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": False})
    world.complete(
        radicado,
        "ut_5_2_7",
        "asesor",
        {"complejidad": "baja", "analisis": "Se responde directamente."},
    )
    world.complete(
        radicado,
        "ut_5_2_8",
        "asesor",
        {"escalar": False, "justificacion_escalamiento": "No requiere área."},
    )
    world.complete(
        radicado,
        "ut_5_2_14",
        "asesor",
        {
            "plantilla": "respuesta_de_fondo",
            "respuesta": "Primer borrador de la respuesta con poca información útil.",
        },
    )
    world.complete(
        radicado,
        "ut_5_2_15",
        "calidad",
        {
            "acorde": False,
            "clara": True,
            "sin_errores_forma": True,
            "cumple": False,
            "observaciones_calidad": "Falta indicar la fecha del giro.",
        },
    )
    task_id = world.open_task_id(radicado, "ut_5_2_14")
    log_in_staff(client, "asesor")
    page = client.get(f"/bandeja/tareas/{task_id}").get_data(as_text=True)
    assert "Respuesta rechazada" in page
    assert "Primer borrador de la respuesta" in page  # the draft being corrected, in the form
    assert "Falta indicar la fecha del giro." in page


def test_inbox_filters_by_overdue_and_request_type(
    client: FlaskClient, world, clock: ManualClock
) -> None:
    citizen, first = _setup(world)
    second = world.file_case(
        citizen,
        tipo="queja",
        asunto="Otra queja",
        descripcion="Una queja distinta para probar filtros.",
    )
    log_in_staff(client, "asesor")
    queja = client.get("/bandeja/?vista=group&tipo=queja").get_data(as_text=True)
    assert second in queja and first not in queja
    assert "2 tareas" in client.get("/bandeja/?vista=group").get_data(as_text=True)
    assert "No hay tareas" in client.get("/bandeja/?vista=group&vencidas=si").get_data(as_text=True)
    clock.advance(timedelta(hours=25))  # the 24 h first response is now missed
    log_in_staff(client, "asesor")  # the idle session expired meanwhile
    overdue = client.get("/bandeja/?vista=group&vencidas=si").get_data(as_text=True)
    assert first in overdue and "Vencida" in overdue


def test_inbox_is_paginated(app: Flask, client: FlaskClient, world) -> None:
    citizen, _ = _setup(world)
    app.config["INBOX_PAGE_SIZE"] = 2
    for n in range(3):
        world.file_case(citizen, asunto=f"Asunto número {n}")
    log_in_staff(client, "asesor")
    first = client.get("/bandeja/?vista=group").get_data(as_text=True)
    assert "Página 1 de 2" in first and "Siguiente" in first
    second = client.get("/bandeja/?vista=group&pagina=2").get_data(as_text=True)
    assert "Página 2 de 2" in second


REASONS = "Se espera el concepto jurídico."


def test_the_asesor_extends_the_legal_term_once_from_the_case_page(
    client: FlaskClient, world
) -> None:
    _, radicado = _setup(world)
    before = world.case(radicado).legal_due
    log_in_staff(client, "asesor")
    page = client.get(f"/bandeja/casos/{radicado}").get_data(as_text=True)
    assert "Prórroga del término" in page
    too_long = client.post(
        f"/bandeja/casos/{radicado}/prorroga",
        data={"dias": "16", "motivos": REASONS},
    )
    assert too_long.status_code == 409
    assert "no puede superar el término inicial" in too_long.get_data(as_text=True)
    assert world.case(radicado).legal_due == before
    granted = client.post(
        f"/bandeja/casos/{radicado}/prorroga",
        data={"dias": "10", "motivos": REASONS},
    )
    assert granted.status_code == 302
    case = world.case(radicado)
    assert case.legal_due > before and case.extension_reasons == REASONS
    assert "Prórroga del término" not in client.get(f"/bandeja/casos/{radicado}").get_data(
        as_text=True
    )
    again = client.post(
        f"/bandeja/casos/{radicado}/prorroga",
        data={"dias": "1", "motivos": REASONS},
    )
    assert again.status_code == 409


def test_an_area_officer_cannot_extend_a_term(client: FlaskClient, world) -> None:
    _, radicado = _setup(world)
    log_in_staff(client, "funcionario.fondos")
    response = client.post(
        f"/bandeja/casos/{radicado}/prorroga", data={"dias": "5", "motivos": "Motivo."}
    )
    assert response.status_code in (403, 404)


def test_a_completion_reads_nothing_after_its_commit_and_logs_who(
    app: Flask, client: FlaskClient, world
) -> None:
    """Where the person goes next is read in the step's own transaction, and the access log
    takes the user's id from the identity map: once the commit has expired the task and the
    user, nothing is loaded again (two queries per completion saved)."""
    _, radicado = _setup(world)
    asesor = world.staff("asesor", "asesor")  # already there: its id
    task_id = world.open_task_id(radicado, "ut_5_2_6")
    log_in_staff(client, "asesor")
    with app.app_context():
        engine = db.engine
    trail: list[str] = []

    def statement(_conn, _cursor, text, *_args) -> None:  # type: ignore[no-untyped-def]
        trail.append(text.split()[0].upper())

    def committed(_conn) -> None:  # type: ignore[no-untyped-def]
        trail.append("<commit>")

    stream = io.StringIO()
    handler = logs.configure("INFO", stream)
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", committed)
    try:
        response = client.post(f"/bandeja/tareas/{task_id}", data={"es_felicitacion": "false"})
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", committed)
        logging.getLogger().removeHandler(handler)
    assert response.status_code == 302
    next_task = world.open_task_id(radicado, "ut_5_2_7")
    assert response.headers["Location"].endswith(f"/bandeja/tareas/{next_task}")
    last_commit = len(trail) - 1 - trail[::-1].index("<commit>")
    assert trail[last_commit + 1 :] == []
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    (access,) = [line for line in lines if line["logger"] == "web.access"]
    assert access["user_id"] == asesor


def test_the_case_file_links_its_open_step_for_those_who_work_it(
    client: FlaskClient, world
) -> None:
    _, radicado = _setup(world)
    task_id = world.open_task_id(radicado, "ut_5_2_6")
    log_in_staff(client, "asesor")
    page = client.get(f"/bandeja/casos/{radicado}").get_data(as_text=True)
    assert f'<a href="/bandeja/tareas/{task_id}">5.2.6 Revisar la solicitud registrada</a>' in page
    other = client.application.test_client()
    log_in_staff(other, "coordinador")  # reads the asesores' cases; the link is the same
    page = other.get(f"/bandeja/casos/{radicado}").get_data(as_text=True)
    assert f'href="/bandeja/tareas/{task_id}"' in page
    world.staff("admin", "administrador")
    admin = client.application.test_client()
    log_in_staff(admin, "admin")  # reads every case, works no step of it
    page = admin.get(f"/bandeja/casos/{radicado}").get_data(as_text=True)
    assert "5.2.6 Revisar la solicitud registrada" in page
    assert f"/bandeja/tareas/{task_id}" not in page

"""The staff inbox finds work: counts on the tabs, search by radicado or document, sortable
columns, the steps of one's own groups in procedure order, due-date words, and after a step
either the next one of the same case or a message saying where the case went."""

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from engine import inbox
from engine.clock import ManualClock
from tests.web.conftest import log_in_staff
from web.legacy_panel import looked_up_since


def _people(world) -> None:
    world.staff("asesor", "asesor")
    world.staff("asesor2", "asesor")
    world.staff("coordinador", "coordinador", "asesor")
    world.staff("funcionario.fondos", "area_fondos")


def _radicados(page: str) -> list[str]:
    """The radicados of the inbox's rows, in the order shown."""
    return re.findall(r'<td data-label="Radicado"><a [^>]*>(AV-\d{4}-\d+)</a>', page)


def _task_filter(page: str) -> list[str]:
    """The activity codes of the "Tarea" filter's options, in the order offered."""
    start = page.index('id="filtro-tarea"')
    return re.findall(r">(\d+(?:\.\d+)+) ", page[start : page.index("</select>", start)])


def test_the_tabs_show_counts_and_the_inbox_opens_on_the_group_when_mine_is_empty(
    app: Flask, client: FlaskClient, world
) -> None:
    _people(world)
    citizen = world.citizen()
    first, _second = world.file_case(citizen), world.file_case(citizen)
    log_in_staff(client, "asesor")
    page = client.get("/bandeja/").get_data(as_text=True)
    assert re.search(r"Mis tareas <span class=\"count\">\(0\)</span>", page)
    assert re.search(r'aria-current="page">Mi grupo <span class="count">\(2\)</span>', page)
    client.post(f"/bandeja/tareas/{world.open_task_id(first, 'ut_5_2_6')}/tomar")
    page = client.get("/bandeja/").get_data(as_text=True)
    assert re.search(r'aria-current="page">Mis tareas <span class="count">\(1\)</span>', page)
    assert _radicados(page) == [first]


def test_search_finds_a_case_by_radicado_or_by_the_citizens_document(
    client: FlaskClient, world
) -> None:
    _people(world)
    ana, luis = world.citizen("1012345678"), world.citizen("79123456")
    of_ana, of_luis = world.file_case(ana), world.file_case(luis)
    log_in_staff(client, "asesor")
    found = client.get(f"/bandeja/?vista=group&buscar={of_luis.lower()}").get_data(as_text=True)
    assert _radicados(found) == [of_luis] and "1 tarea" in found
    found = client.get("/bandeja/?vista=group&buscar=+1012345678+").get_data(as_text=True)
    assert _radicados(found) == [of_ana]
    none = client.get("/bandeja/?vista=group&buscar=AV-1999-000001").get_data(as_text=True)
    assert _radicados(none) == [] and "No hay tareas abiertas de sus grupos" in none
    # Another group's staff do not find the Asesor's tasks by searching.
    other = client.application.test_client()
    log_in_staff(other, "funcionario.fondos")
    assert _radicados(other.get(f"/bandeja/?vista=group&buscar={of_ana}").get_data(True)) == []
    # A search too long or with control characters is refused in Spanish, with a way back.
    refused = client.get("/bandeja/?buscar=" + "9" * 41)
    assert refused.status_code == 400
    assert "Volver a la bandeja de tareas" in refused.get_data(as_text=True)


def test_columns_sort_on_the_server_and_the_url_keeps_the_order(
    client: FlaskClient, world, clock: ManualClock
) -> None:
    _people(world)
    citizen = world.citizen()
    older = world.file_case(citizen, tipo="solicitud", modalidad="consulta")
    clock.advance(timedelta(hours=1))
    newer = world.file_case(citizen, tipo="queja")
    world.complete(newer, "ut_5_2_6", "asesor", {"es_felicitacion": False})  # now at 5.2.7
    log_in_staff(client, "asesor")
    by_due = client.get("/bandeja/?vista=group").get_data(as_text=True)
    assert _radicados(by_due) == [older, newer]  # filed first, due first
    descending = client.get("/bandeja/?vista=group&orden=radicado&sentido=desc")
    page = descending.get_data(as_text=True)
    assert _radicados(page) == [newer, older]
    assert 'aria-sort="descending"' in page
    # The active column's link reverses the order; the filters' form keeps it.
    assert "orden=radicado" in page and 'name="sentido" value="desc"' in page
    by_step = client.get("/bandeja/?vista=group&orden=tarea&sentido=desc").get_data(True)
    assert _radicados(by_step) == [newer, older]  # 5.2.7 after 5.2.6
    unknown = client.get("/bandeja/?vista=group&orden=nada&sentido=x")
    assert unknown.status_code == 200 and _radicados(unknown.get_data(True)) == [older, newer]


def test_the_task_filter_lists_the_groups_steps_in_procedure_order(
    client: FlaskClient, world
) -> None:
    _people(world)
    log_in_staff(client, "asesor")
    page = client.get("/bandeja/?vista=group").get_data(as_text=True)
    steps = _task_filter(page)
    assert steps[:3] == ["5.2.6", "5.2.7", "5.2.8"] and "5.2.10" in steps and "5.2.14" in steps
    assert steps == sorted(steps, key=lambda code: [int(p) for p in code.split(".")])
    assert "5.2.11" not in steps and "5.2.15" not in steps  # the area's and quality's
    area = client.application.test_client()
    log_in_staff(area, "funcionario.fondos")
    page = area.get("/bandeja/?vista=group").get_data(as_text=True)
    assert _task_filter(page) == ["5.2.11", "5.2.12", "5.2.13"]


def test_activity_codes_sort_as_numbers() -> None:
    names = ["5.2.10 Escalar", "Sin código", "5.2.6 Revisar", "5.2.14 Elaborar", "5.2.7 Analizar"]
    assert sorted(names, key=inbox.activity_key) == [
        "5.2.6 Revisar",
        "5.2.7 Analizar",
        "5.2.10 Escalar",
        "5.2.14 Elaborar",
        "Sin código",
    ]


def test_due_dates_are_marked_in_words_and_supervisors_see_who_has_each_task(
    app: Flask, client: FlaskClient, world, clock: ManualClock
) -> None:
    _people(world)
    radicado = world.file_case(world.citizen())  # first response due within 24 hours
    log_in_staff(client, "asesor2")
    assert "Vence pronto" not in client.get("/bandeja/?vista=group").get_data(as_text=True)
    clock.advance(timedelta(hours=13))  # 11 hours left: less than the 12 of "vence pronto"
    log_in_staff(client, "asesor2")  # the session expired meanwhile
    client.post(f"/bandeja/tareas/{world.open_task_id(radicado, 'ut_5_2_6')}/tomar")
    page = client.get("/bandeja/?vista=group").get_data(as_text=True)
    assert 'class="due-soon"' in page and "Vence pronto" in page and "Vencida" not in page
    assert ">Usted<" in page
    boss = app.test_client()
    log_in_staff(boss, "coordinador")
    assert "Asesor2</td>" in boss.get("/bandeja/?vista=group").get_data(as_text=True)
    plain = app.test_client()
    log_in_staff(plain, "asesor")
    assert ">Asignada<" in plain.get("/bandeja/?vista=group").get_data(as_text=True)
    clock.advance(timedelta(hours=12))
    log_in_staff(client, "asesor2")  # the session expired meanwhile
    page = client.get("/bandeja/?vista=group").get_data(as_text=True)
    assert 'class="due-overdue"' in page and "Vencida" in page


def test_the_radicado_links_to_the_case_file_from_the_inbox_and_the_task(
    client: FlaskClient, world
) -> None:
    _people(world)
    radicado = world.file_case(world.citizen())
    log_in_staff(client, "asesor")
    case_link = f'href="/bandeja/casos/{radicado}"'
    assert case_link in client.get("/bandeja/?vista=group").get_data(as_text=True)
    task = client.get(f"/bandeja/tareas/{world.open_task_id(radicado, 'ut_5_2_6')}")
    assert case_link in task.get_data(as_text=True)
    assert client.get(f"/bandeja/casos/{radicado}").status_code == 200


def test_after_a_step_the_same_person_continues_with_the_next_one(
    client: FlaskClient, world
) -> None:
    _people(world)
    radicado = world.file_case(world.citizen())
    log_in_staff(client, "asesor")
    done = client.post(
        f"/bandeja/tareas/{world.open_task_id(radicado, 'ut_5_2_6')}",
        data={"es_felicitacion": "false"},
    )
    following = world.open_task_id(radicado, "ut_5_2_7")
    assert done.status_code == 302 and done.location == f"/bandeja/tareas/{following}"
    page = client.get(done.location).get_data(as_text=True)
    assert "Tarea completada: 5.2.6 Revisar la solicitud registrada." in page
    assert "Continúe con 5.2.7 Analizar la complejidad." in page
    # 5.2.8 waits for the legacy look-up, an automatic step: back to the inbox, saying so.
    done = client.post(
        f"/bandeja/tareas/{following}",
        data={"complejidad": "alta", "analisis": "Requiere información del área de fondos."},
    )
    assert done.location == "/bandeja/"
    page = client.get("/bandeja/").get_data(as_text=True)
    assert f"El caso {radicado} sigue en un paso automático del sistema" in page
    assert "si después necesita a una persona, aparecerá en la bandeja" in page


def test_a_step_of_another_group_sends_the_person_back_with_where_the_case_went(
    app: Flask, client: FlaskClient, world
) -> None:
    _people(world)
    radicado = world.file_case(world.citizen())
    world.escalate(radicado)  # the Asesor escalated to Fondos: the area's 5.2.11 is open
    area = app.test_client()
    log_in_staff(area, "funcionario.fondos")
    task = world.open_task_id(radicado, "ut_5_2_11")
    done = area.post(
        f"/bandeja/tareas/{task}",
        data={"es_de_mi_area": "false", "motivo_devolucion": "Es un asunto de crédito."},
    )
    assert done.location == "/bandeja/"
    page = area.get("/bandeja/").get_data(as_text=True)
    assert f"El caso {radicado} pasó a «5.2." in page
    assert "(Asesor de Servicio al Cliente)" in page and "asesor)" not in page


def test_staff_error_pages_lead_back_to_the_inbox_and_citizens_to_the_portal(
    client: FlaskClient, world
) -> None:
    _people(world)
    world.citizen()
    log_in_staff(client, "asesor")
    missing = client.get("/bandeja/tareas/no-existe")
    assert missing.status_code == 404
    assert 'href="/bandeja/"' in missing.get_data(as_text=True)
    anonymous = client.application.test_client()
    page = anonymous.get("/no-existe").get_data(as_text=True)
    assert "Volver al inicio" in page and "Volver a la bandeja" not in page


def test_the_legacy_look_up_unfolds_only_for_the_step_that_follows_it() -> None:
    looked_up = {"sistemas": {}, "consultado_en": "2026-03-10T08:05:00-05:00"}
    before = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)  # 08:00 in Bogotá: 5.2.7 done
    after = datetime(2026, 3, 10, 13, 30, tzinfo=UTC)  # 08:30: 5.2.8 done
    assert looked_up_since(looked_up, before)  # 5.2.8 decides from it
    assert not looked_up_since(looked_up, after)  # 5.2.10 and later: folded
    assert looked_up_since(looked_up, None) and looked_up_since({"sistemas": {}}, after)

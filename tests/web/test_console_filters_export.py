"""Console search: each user's saved filters, and the result exported as XLSX."""

import io
from datetime import datetime

from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from engine.models import Event, SavedFilter
from tests.web.conftest import log_in_citizen, log_in_staff
from tests.web.test_console import failed  # noqa: F401
from web.extensions import db


def test_each_user_saves_and_deletes_their_own_filters(app: Flask, world, failed) -> None:  # noqa: F811
    radicado, _, _ = failed
    world.staff("admin", "administrador")
    world.staff("coordinador", "coordinador")
    admin = app.test_client()
    log_in_staff(admin, "admin")
    response = admin.post(
        "/consola/filtros",
        data={"nombre": "  Con   incidente ", "consulta": "estado=incident&pagina=3&otra=1"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/consola/?estado=incident")
    page = admin.get("/consola/").get_data(as_text=True)
    assert 'href="/consola/?estado=incident">Con incidente</a>' in page
    assert radicado in admin.get("/consola/?estado=incident").get_data(as_text=True)
    # The same name again replaces the query.
    admin.post("/consola/filtros", data={"nombre": "Con incidente", "consulta": "estado=running"})
    with app.app_context():
        saved = db.session.scalars(select(SavedFilter)).one()
        assert (saved.name, saved.query) == ("Con incidente", "estado=running")
        saved_id = saved.id
        kinds = db.session.scalars(select(Event.kind).where(Event.kind.like("filtro_%"))).all()
        assert kinds == ["filtro_guardado", "filtro_guardado"]

    coordinator = app.test_client()
    log_in_staff(coordinator, "coordinador")
    assert ">Con incidente</a>" not in coordinator.get("/consola/").get_data(as_text=True)
    assert coordinator.post("/consola/filtros/borrar", data={"id": saved_id}).status_code == 404
    response = coordinator.post("/consola/filtros", data={"nombre": "", "consulta": "q=x"})
    assert response.status_code == 302
    assert "Escriba un nombre" in coordinator.get("/consola/").get_data(as_text=True)
    assert admin.post("/consola/filtros/borrar", data={"id": saved_id}).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(SavedFilter)).all() == []


def test_saved_filters_are_only_for_console_readers(app: Flask, world) -> None:
    world.staff("asesor", "asesor")
    asesor = app.test_client()
    log_in_staff(asesor, "asesor")
    assert asesor.post("/consola/filtros", data={"nombre": "x"}).status_code == 403
    assert asesor.post("/consola/filtros/borrar", data={"id": 1}).status_code == 403
    citizen = app.test_client()
    world.citizen("52999001")
    log_in_citizen(citizen, "52999001")
    assert citizen.post("/consola/filtros", data={"nombre": "x"}).status_code == 403


def test_the_result_exports_as_an_excel_workbook(app: Flask, world, failed) -> None:  # noqa: F811
    radicado, _, _ = failed
    other = world.file_case(world.citizen("80111222"))
    world.staff("admin", "administrador")
    client = app.test_client()
    log_in_staff(client, "admin")
    page = client.get("/consola/?estado=incident").get_data(as_text=True)
    assert "formato=xlsx" in page
    response = client.get("/consola/", query_string={"estado": "incident", "formato": "xlsx"})
    assert response.mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0] == (
        "Radicado o clave",
        "Proceso",
        "Estado",
        "Incidente",
        "Pasos abiertos",
        "Inicio",
    )
    assert [row[0] for row in rows[1:]] == [radicado]
    assert rows[1][2] == "En curso" and rows[1][3] == "Sí"
    assert isinstance(rows[1][5], datetime)
    everything = client.get("/consola/?formato=xlsx")
    keys = {
        row[0]
        for row in load_workbook(io.BytesIO(everything.data)).active.iter_rows(
            min_row=2, values_only=True
        )
    }
    assert {radicado, other} <= keys


def test_a_sorted_search_page_keeps_its_links(app: Flask, world, failed) -> None:  # noqa: F811
    world.staff("admin", "administrador")
    client = app.test_client()
    log_in_staff(client, "admin")
    for order in ("key", "-updated", "started"):
        response = client.get("/consola/", query_string={"orden": order, "estado": "running"})
        assert response.status_code == 200, order


def test_search_pages_alike_with_and_without_a_count(app: Flask, world, monkeypatch) -> None:
    from engine import instance_search
    from engine.instance_search import InstanceFilter, search
    from web.access import now

    citizen = world.citizen("80111222", full_name="Marta Gómez")
    radicados = [world.file_case(citizen) for _ in range(3)]
    with app.test_request_context():
        pages = {}
        for few in (500, 1):  # one query for small results; count + page for larger ones
            monkeypatch.setattr(instance_search, "FEW", few)
            found = []
            for number in (1, 2):
                page = search(db.session, InstanceFilter(text="gómez", page=number), now(), 2)
                assert (page.total, page.pages) == (3, 2)
                found += [row.case.radicado for row in page.rows]
            pages[few] = found
        assert pages[500] == pages[1] == sorted(radicados, reverse=True)
        # A radicado's beginning, in any case, finds it through the key's index.
        prefix = radicados[0][:-2].lower()
        page = search(db.session, InstanceFilter(text=prefix), now())
        assert {row.case.radicado for row in page.rows} == {
            r for r in radicados if r.startswith(prefix.upper())
        }

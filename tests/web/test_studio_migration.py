"""The studio's migration page: the dry run per case, moving the chosen ones, who may."""

from flask import Flask
from sqlalchemy import select

from engine.models import Event, ProcessInstance
from tests.web.conftest import log_in_staff
from web.extensions import db

CASE = "bpmn/caso_pqrs.bpmn"


def deploy_twelve_hours(client) -> None:
    original = client.get(f"/estudio/archivos/{CASE}").get_data(as_text=True)
    twelve = original.replace("caso['radicado_en'], 24)", "caso['radicado_en'], 12)")
    assert twelve != original
    saved = client.post(f"/estudio/borradores/{CASE}", json={"contenido": twelve, "revision": 0})
    assert saved.get_json()["problemas"] == []
    client.post("/estudio/desplegar", data={"comentario": "Primera respuesta en 12 horas"})


def test_the_owner_sees_the_dry_run_and_moves_a_case(app: Flask, world) -> None:
    world.staff("dueno", "dueno_proceso")
    world.staff("admin", "administrador")
    radicado = world.file_case(world.citizen())
    client = app.test_client()
    log_in_staff(client, "dueno")
    deploy_twelve_hours(client)

    page = client.get("/estudio/migracion").get_data(as_text=True)
    assert "1 de 1 caso(s) se pueden mover a la versión 2" in page
    assert radicado in page and 'name="instancia"' in page

    admin = app.test_client()
    log_in_staff(admin, "admin")
    read = admin.get("/estudio/migracion").get_data(as_text=True)
    assert radicado in read and 'name="instancia"' not in read
    assert admin.post("/estudio/migracion", data={"todas": "1"}).status_code == 403

    done = client.post("/estudio/migracion", data={"todas": "1", "version": "2"})
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "Se movieron 1 de 1 caso(s) a la versión 2" in text
    with app.app_context():
        instance = db.session.scalars(select(ProcessInstance)).one()
        hours = (instance.case.first_response_due - instance.case.filed_at).total_seconds() / 3600
        assert hours == 12
        event = db.session.scalars(select(Event).where(Event.kind == "migrated")).one()
        assert event.data == {"version_anterior": 1, "version_nueva": 2}
    again = client.get("/estudio/migracion").get_data(as_text=True)
    assert "No hay casos en curso en versiones anteriores a la 2" in again


def test_moving_nothing_says_so(app: Flask, world) -> None:
    world.staff("dueno", "dueno_proceso")
    client = app.test_client()
    log_in_staff(client, "dueno")
    answer = client.post("/estudio/migracion", data={"instancia": "abc"})
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "No eligió ninguna instancia" in page


def test_the_dry_run_can_be_narrowed_to_one_process(app: Flask, world) -> None:
    world.staff("dueno", "dueno_proceso")
    radicado = world.file_case(world.citizen())
    client = app.test_client()
    log_in_staff(client, "dueno")
    deploy_twelve_hours(client)
    narrowed = client.get("/estudio/migracion?proceso=informe_mensual").get_data(as_text=True)
    assert radicado not in narrowed
    assert radicado in client.get("/estudio/migracion?proceso=caso_pqrs").get_data(as_text=True)
    done = client.post(
        "/estudio/migracion", data={"todas": "1", "version": "2", "proceso": "informe_mensual"}
    )
    assert "No eligió ninguna instancia" in client.get(done.headers["Location"]).get_data(
        as_text=True
    )

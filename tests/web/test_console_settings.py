"""Console settings: administrators change them (recorded with who and when), coordinators
read them, and the engine uses them for the next cases' reminders."""

from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from engine import configuration
from engine.cases import calendar_for, facts
from engine.clock import ManualClock
from engine.deadlines import business_reminder
from engine.models import Case, Event, Setting
from tests.web.conftest import app_config, init_reviewed_db, log_in_staff
from web import create_app
from web.extensions import db

FORM = {
    configuration.REVIEW_SHARE: "70",
    configuration.FIRST_RESPONSE_REMINDER_HOURS: "6",
    configuration.LEGAL_REMINDER_DAYS: "2",
    configuration.AREA_REMINDER_DAYS: "1",
}


def test_an_administrator_changes_settings_with_who_and_when(app: Flask, world) -> None:
    admin_id = world.staff("admin", "administrador")
    client = app.test_client()
    log_in_staff(client, "admin")
    page = client.get("/consola/ajustes").get_data(as_text=True)
    assert "Porcentaje de respuestas revisadas por calidad" in page and "Valor de fábrica" in page
    response = client.post("/consola/ajustes", data=FORM, follow_redirects=True)
    assert "Se guardaron los ajustes." in response.get_data(as_text=True)
    with app.app_context():
        assert configuration.review_share(db.session) == 70
        row = db.session.get(Setting, configuration.FIRST_RESPONSE_REMINDER_HOURS)
        assert (row.value, row.updated_by_id) == ("6", admin_id)
        events = db.session.scalars(
            select(Event).where(Event.kind == configuration.CHANGED).order_by(Event.id)
        ).all()
        changes = {e.data["clave"]: (e.data["antes"], e.data["despues"]) for e in events}
        assert changes == {
            configuration.REVIEW_SHARE: (100, 70),  # the fixture's share
            configuration.FIRST_RESPONSE_REMINDER_HOURS: (4, 6),
            configuration.LEGAL_REMINDER_DAYS: (1, 2),
        }  # the area reminder was sent at its default, 1: nothing changed, nothing recorded
        assert db.session.get(Setting, configuration.AREA_REMINDER_DAYS) is None
        assert {e.actor_id for e in events} == {admin_id}
    page = client.get("/consola/ajustes").get_data(as_text=True)
    assert "Admin" in page and "de 4 a 6" in page and "de 1 a 1" not in page


def test_out_of_bounds_values_are_refused_in_spanish(app: Flask, world) -> None:
    world.staff("admin", "administrador")
    client = app.test_client()
    log_in_staff(client, "admin")
    for key, bad in ((configuration.REVIEW_SHARE, "40"), (configuration.LEGAL_REMINDER_DAYS, "x")):
        response = client.post("/consola/ajustes", data={**FORM, key: bad}, follow_redirects=True)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert "debe estar entre 50 y 100" in text or "escriba un número entero" in text
    with app.app_context():
        assert configuration.review_share(db.session) == 100
        assert not db.session.scalars(select(Event).where(Event.kind == "setting_changed")).all()


def test_coordinators_read_and_others_are_refused(app: Flask, world) -> None:
    world.staff("coordinador", "coordinador")
    world.staff("asesor", "asesor")
    coordinator = app.test_client()
    log_in_staff(coordinator, "coordinador")
    page = coordinator.get("/consola/ajustes")
    assert page.status_code == 200 and b"Guardar ajustes" not in page.data
    assert coordinator.post("/consola/ajustes", data=FORM).status_code == 403
    asesor = app.test_client()
    log_in_staff(asesor, "asesor")
    assert asesor.get("/consola/ajustes").status_code == 403
    assert asesor.post("/consola/ajustes", data=FORM).status_code == 403
    anonymous = app.test_client().get("/consola/ajustes")
    assert anonymous.status_code == 302


def test_changing_settings_needs_the_csrf_token(
    database_url: str, session_factory, clock: ManualClock
) -> None:
    app = create_app(app_config(database_url, clock, WTF_CSRF_ENABLED=True))
    init_reviewed_db(app)
    from tests.web.conftest import World

    World(app).staff("admin", "administrador")
    client = app.test_client()
    login = client.get("/cuenta/funcionarios").get_data(as_text=True)
    token = login.split('name="csrf_token" value="')[1].split('"')[0]
    client.post(
        "/cuenta/funcionarios",
        data={"username": "admin", "password": "Demo2026!seguro", "csrf_token": token},
    )
    assert client.post("/consola/ajustes", data=FORM).status_code == 400


def test_the_next_cases_use_the_configured_reminder_leads(app: Flask, world) -> None:
    world.staff("admin", "administrador")
    client = app.test_client()
    log_in_staff(client, "admin")
    client.post("/consola/ajustes", data=FORM)
    radicado = world.file_case(world.citizen())
    with app.app_context():
        case = db.session.scalars(select(Case).where(Case.radicado == radicado)).one()
        reminder = datetime.fromisoformat(facts(case)["recordar_primera_respuesta"])
        assert reminder == case.first_response_due - timedelta(hours=6)
        calendar = calendar_for(db.session)
        assert case.legal_reminder_at == business_reminder(case.legal_due, calendar, 2)
        assert case.legal_reminder_at < business_reminder(case.legal_due, calendar)

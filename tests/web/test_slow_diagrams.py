"""A bad diagram or a busy database never loses what a citizen submitted, and never a 500."""

import sqlite3

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url, select

from engine.models import Case, Incident
from engine.runtime import Engine
from tests import factories as f
from tests.web.conftest import World, app_config, filing_token, log_in_citizen, log_in_staff
from web import create_app
from web.demo import init_db
from web.extensions import db

FILING = {
    "tipo": "reclamo",
    "servicio": "credito_educativo",
    "asunto": "Cobro duplicado de la cuota",
    "descripcion": "Me cobraron dos veces la cuota del crédito educativo en marzo.",
}


def test_a_case_filed_through_a_looping_condition_is_kept_with_an_incident(
    app: Flask, client: FlaskClient, world
) -> None:
    files = f.bundle_files()
    files["bpmn/caso_pqrs.bpmn"] = files["bpmn/caso_pqrs.bpmn"].replace(
        'tFormalExpression">registrado<',
        "tFormalExpression\">any(i &lt; 0 for i in range(int('1' + '0' * 18))) or registrado<",
    )
    with app.app_context():
        Engine(db.session, app.extensions["clock"]).deploy(files)
        db.session.commit()
    world.citizen()
    log_in_citizen(client)

    response = client.post("/radicar", data={**FILING, "formulario": filing_token(client)})

    assert response.status_code == 302
    with app.app_context():
        case = db.session.scalars(select(Case)).one()
        incident = db.session.scalars(select(Incident)).one()
        assert response.headers["Location"].endswith(case.radicado)
        assert incident.bpmn_id == "gw_registrado" and "superó su límite" in incident.error
    assert case.radicado in client.get("/mis-casos").get_data(as_text=True)


@pytest.fixture
def impatient_app(database_url: str, session_factory, clock):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's single write lock; PostgreSQL locks rows")
    app = create_app(app_config(database_url, clock, SQLITE_BUSY_TIMEOUT_MS=50))
    init_db(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_on_sqlite_a_busy_database_keeps_the_filing_form_filled_in_spanish(
    impatient_app: Flask,
) -> None:
    people = World(impatient_app)
    people.citizen()
    client = impatient_app.test_client()
    log_in_citizen(client)
    form = {**FILING, "formulario": filing_token(client)}
    path = make_url(impatient_app.config["SQLALCHEMY_DATABASE_URI"]).database
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        response = client.post("/radicar", data=form)
        page = response.get_data(as_text=True)
        assert response.status_code == 503
        assert "El sistema está atendiendo muchas solicitudes" in page
        assert FILING["asunto"] in page and FILING["descripcion"] in page
        assert "Mis casos" in client.get("/mis-casos").get_data(as_text=True)  # reads go on
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.post("/radicar", data=form).status_code == 302


def test_on_sqlite_a_busy_database_answers_staff_with_a_spanish_503(
    impatient_app: Flask,
) -> None:
    people = World(impatient_app)
    radicado = people.file_case(people.citizen())
    people.staff("asesor", "asesor")
    task_id = people.open_task_id(radicado, "ut_5_2_6")
    client = impatient_app.test_client()
    log_in_staff(client, "asesor")
    path = make_url(impatient_app.config["SQLALCHEMY_DATABASE_URI"]).database
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(f"/bandeja/tareas/{task_id}/tomar")
        assert response.status_code == 503
        assert "Sistema ocupado" in response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "5"
    finally:
        holder.execute("ROLLBACK")
        holder.close()

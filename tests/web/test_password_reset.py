"""«¿Olvidó su contraseña?», «Cambiar contraseña» and the look-up of a case by radicado and
code, through the app (the browser versions are in test_citizen_comfort_browser.py)."""

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import ManualClock
from engine.models import AccountToken, Case, Event, OutboxMessage, User, UserSession
from tests.web.conftest import PASSWORD, World, app_config, log_in_citizen
from web import create_app
from web.extensions import db

NEW_PASSWORD = "otra-clave-segura"


def _outbox(app: Flask, operation: str) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.operation == operation)
            .order_by(OutboxMessage.id)
        ).all()
        return [dict(row.params) for row in rows]


def _reset_links(app: Flask) -> list[str]:
    return [
        urlsplit(p["enlace"]).path
        for p in _outbox(app, "account_mail")
        if p["plantilla"] == "restablecer_clave"
    ]


def test_an_unknown_document_gets_the_same_answer_and_no_mail(
    app: Flask, client: FlaskClient, world
) -> None:
    world.citizen()
    known = client.post("/cuenta/olvido", data={"documento": "1012345678"})
    unknown = client.post("/cuenta/olvido", data={"documento": "99999999"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(_reset_links(app)) == 1
    page = client.get(known.headers["Location"]).get_data(as_text=True)
    assert "Si el número de documento corresponde a una cuenta" in page


def test_the_reset_link_sets_a_new_password_once_and_ends_the_sessions(
    app: Flask, client: FlaskClient, world
) -> None:
    world.citizen()
    other_browser = app.test_client()
    log_in_citizen(other_browser)
    client.post("/cuenta/olvido", data={"documento": "1012345678"})
    (link,) = _reset_links(app)
    with app.app_context():
        stored = db.session.scalars(select(AccountToken.token_hash)).all()
    assert link.rsplit("/", 1)[1] not in stored  # only its hash is kept

    assert client.get(link).status_code == 200  # opening it spends nothing
    short = client.post(link, data={"password": "corta", "password2": "corta"})
    assert short.status_code == 400
    assert "al menos 10 caracteres" in short.get_data(as_text=True)
    done = client.post(link, data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/cuenta/ingresar"

    again = client.post(link, data={"password": "tercera-clave-x", "password2": "tercera-clave-x"})
    assert again.status_code == 400 and "ya fue usado" in again.get_data(as_text=True)
    assert other_browser.get("/mis-casos").status_code == 302  # its session ended
    old = client.post("/cuenta/ingresar", data={"documento": "1012345678", "password": PASSWORD})
    assert old.status_code == 401
    new = client.post(
        "/cuenta/ingresar", data={"documento": "1012345678", "password": NEW_PASSWORD}
    )
    assert new.status_code == 302
    with app.app_context():
        labels = db.session.scalars(
            select(Event.label).where(Event.kind == "cuenta").order_by(Event.id)
        ).all()
    assert labels == ["restablecimiento solicitado", "contraseña restablecida"]


def test_an_expired_or_replaced_link_is_refused(
    app: Flask, client: FlaskClient, world, clock: ManualClock
) -> None:
    world.citizen()
    client.post("/cuenta/olvido", data={"documento": "1012345678"})
    clock.advance(timedelta(minutes=61))
    (expired,) = _reset_links(app)
    response = client.get(expired)
    assert response.status_code == 410 and "venció" in response.get_data(as_text=True)
    client.post("/cuenta/olvido", data={"documento": "1012345678"})
    client.post("/cuenta/olvido", data={"documento": "1012345678"})
    first, second = _reset_links(app)[1:]
    assert client.get(first).status_code == 400  # replaced by the newer one
    assert client.get(second).status_code == 200
    assert client.get("/cuenta/restablecer/no-es-un-enlace").status_code == 400


def test_reset_requests_are_rate_limited_per_address(database_url, session_factory, clock) -> None:
    app = create_app(app_config(database_url, clock, PASSWORD_RESET_LIMIT="2/hour"))
    client = app.test_client()
    for document in ("111111", "222222"):
        assert client.post("/cuenta/olvido", data={"documento": document}).status_code == 302
    refused = client.post("/cuenta/olvido", data={"documento": "333333"})
    assert refused.status_code == 429
    assert "demasiados enlaces" in refused.get_data(as_text=True)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_citizen_changes_the_password_with_the_current_one(
    app: Flask, client: FlaskClient, world
) -> None:
    world.citizen()
    log_in_citizen(client)
    other_browser = app.test_client()
    log_in_citizen(other_browser)
    assert "Cambiar contraseña" in client.get("/mis-datos").get_data(as_text=True)
    wrong = client.post(
        "/mis-datos/contrasena",
        data={"actual": "no-es-esta", "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 400
    assert "La contraseña actual no es correcta." in wrong.get_data(as_text=True)
    mismatch = client.post(
        "/mis-datos/contrasena",
        data={"actual": PASSWORD, "password": NEW_PASSWORD, "password2": "otra-distinta-x"},
    )
    assert mismatch.status_code == 400
    done = client.post(
        "/mis-datos/contrasena",
        data={"actual": PASSWORD, "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert client.get("/mis-casos").status_code == 200  # this browser stays in
    assert other_browser.get("/mis-casos").status_code == 302  # the other one is out
    with app.app_context():
        user = db.session.scalars(select(User).where(User.document_number == "1012345678")).one()
        live = db.session.scalars(
            select(UserSession).where(
                UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
            )
        ).all()
    assert len(live) == 1


def _lookup_code(app: Flask, radicado: str) -> str:
    (params,) = [
        p
        for p in _outbox(app, "notify")
        if p.get("plantilla") == "acuse" and p.get("radicado", radicado) == radicado
    ]
    return params["codigo_consulta"]


def test_a_case_is_looked_up_by_radicado_and_code_without_logging_in(
    app: Flask, client: FlaskClient, world
) -> None:
    radicado = world.file_case(world.citizen())
    code = _lookup_code(app, radicado)
    with app.app_context():
        stored = db.session.scalars(select(Case).where(Case.radicado == radicado)).one()
    assert stored.lookup_code_hash and code not in stored.lookup_code_hash

    page = client.post("/consulta", data={"radicado": radicado.lower(), "codigo": code.lower()})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and radicado in text and "Giro no recibido" in text
    assert "Recibimos su caso" in text and "5.2." not in text

    wrong = client.post("/consulta", data={"radicado": radicado, "codigo": "AAAA-AAAA"})
    missing = client.post("/consulta", data={"radicado": "AV-2026-999999", "codigo": code})
    assert wrong.status_code == missing.status_code == 404
    message = "No encontramos un caso con ese radicado y ese código."
    assert message in wrong.get_data(as_text=True) and message in missing.get_data(as_text=True)


def test_failed_lookups_are_rate_limited(database_url, session_factory, clock) -> None:
    app = create_app(app_config(database_url, clock, CASE_LOOKUP_FAILURE_LIMIT="3/hour"))
    client = app.test_client()
    for _ in range(3):
        response = client.post("/consulta", data={"radicado": "AV-2026-000001", "codigo": "X"})
        assert response.status_code == 404
    refused = client.post("/consulta", data={"radicado": "AV-2026-000001", "codigo": "X"})
    assert refused.status_code == 429
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_timeline_does_not_claim_data_the_citizen_did_not_update(
    app: Flask, client: FlaskClient, world
) -> None:
    radicado = world.file_case(world.citizen())  # trail: logged in, no data update
    log_in_citizen(client)
    page = client.get(f"/mis-casos/{radicado}").get_data(as_text=True)
    assert "Ingresó con su número de documento." in page
    assert "Actualizó sus datos básicos." not in page
    assert "5.2." not in page and "Actividad" not in page and "M5-1-01" not in page


def test_wrong_current_passwords_are_limited(database_url, session_factory, clock) -> None:
    app = create_app(app_config(database_url, clock, LOGIN_FAILURE_LIMIT="2/minute"))
    World(app).citizen()
    client = app.test_client()
    log_in_citizen(client)
    wrong = {"actual": "no-es-esta", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    for _ in range(2):
        assert client.post("/mis-datos/contrasena", data=wrong).status_code == 400
    assert client.post("/mis-datos/contrasena", data=wrong).status_code == 429
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_look_up_shows_the_answer_once_sent(app: Flask, client: FlaskClient, world) -> None:
    citizen = world.citizen()
    world.staff("asesor", "asesor")
    world.staff("calidad", "agente_calidad")
    radicado = world.file_case(citizen, tipo="felicitacion", asunto="Gracias")
    code = _lookup_code(app, radicado)
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": True})
    answer = "Gracias por su felicitación; la compartimos con el equipo."
    world.complete(
        radicado,
        "ut_5_2_14",
        "asesor",
        {"plantilla": "agradecimiento_felicitacion", "respuesta": answer},
    )
    draft = client.post("/consulta", data={"radicado": radicado, "codigo": code})
    assert answer not in draft.get_data(as_text=True)  # a draft under review is not shown
    world.complete(
        radicado,
        "ut_5_2_15",
        "calidad",
        {"acorde": True, "clara": True, "sin_errores_forma": True, "cumple": True},
    )
    world.complete(radicado, "ut_5_2_16", "calidad", {"tipificacion": "informacion_general"})
    page = client.post("/consulta", data={"radicado": radicado, "codigo": code})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and answer in text and "Respondido el" in text
    assert "Le enviamos la respuesta." in text

"""Sessions live on the server: logout revokes them, they end at an absolute lifetime, and a
login or a change of privileges issues a new one; a Redis outage does not stop logins."""

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import ManualClock
from engine.models import OutboxMessage, User
from tests.web.conftest import PASSWORD, app_config, log_in_staff
from web import create_app
from web.demo import ensure_staff, init_db
from web.extensions import db
from workers.embedded_redis import EmbeddedRedis


def _cookie(client: FlaskClient) -> str:
    return client.get_cookie("session").value


def _sid(app: Flask, client: FlaskClient) -> str:
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(_cookie(client))["sid"]


def _replay(app: Flask, cookie: str) -> FlaskClient:
    """Another browser, holding a copy of someone's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def test_a_cookie_copied_before_logout_is_refused_after_it(
    app: Flask, client: FlaskClient, world
) -> None:
    world.staff("asesor", "asesor")
    log_in_staff(client, "asesor")
    copied = _cookie(client)
    assert _replay(app, copied).get("/bandeja/").status_code == 200
    client.post("/cuenta/salir")
    replayed = _replay(app, copied).get("/bandeja/")
    assert replayed.status_code == 302 and "/cuenta/funcionarios" in replayed.headers["Location"]


def test_a_session_ends_at_its_absolute_lifetime_however_active(
    client: FlaskClient, world, clock: ManualClock
) -> None:
    world.staff("asesor", "asesor")
    log_in_staff(client, "asesor")
    for _ in range(28):  # a request every 25 minutes: never idle, 11 h 40 min in all
        clock.advance(timedelta(minutes=25))
        assert client.get("/bandeja/").status_code == 200
    clock.advance(timedelta(minutes=20, seconds=1))  # 12 h after the login
    response = client.get("/bandeja/")
    assert response.status_code == 302 and "/cuenta/funcionarios" in response.headers["Location"]


def test_the_absolute_lifetime_is_configurable(
    database_url: str, session_factory, clock: ManualClock
) -> None:
    app = create_app(
        app_config(database_url, clock, SESSION_ABSOLUTE_LIFETIME=timedelta(minutes=45))
    )
    init_db(app)
    with app.app_context():
        ensure_staff("asesor", "Asesor", ["asesor"])
        db.session.commit()
    client = app.test_client()
    log_in_staff(client, "asesor")
    clock.advance(timedelta(minutes=25))
    assert client.get("/bandeja/").status_code == 200
    clock.advance(timedelta(minutes=21))
    assert client.get("/bandeja/").status_code == 302


def test_a_login_issues_a_new_session_and_ends_the_one_before(
    app: Flask, client: FlaskClient, world
) -> None:
    world.staff("asesor", "asesor")
    client.get("/cuenta/funcionarios")
    log_in_staff(client, "asesor")
    first, first_cookie = _sid(app, client), _cookie(client)
    log_in_staff(client, "asesor")
    assert _sid(app, client) != first and _cookie(client) != first_cookie
    assert _replay(app, first_cookie).get("/bandeja/").status_code == 302
    assert client.get("/bandeja/").status_code == 200


def test_a_change_of_groups_rotates_the_session(app: Flask, client: FlaskClient, world) -> None:
    world.staff("asesor", "asesor")
    log_in_staff(client, "asesor")
    before, before_cookie = _sid(app, client), _cookie(client)
    world.staff("asesor", "asesor", "coordinador")  # made a supervisor
    assert client.get("/bandeja/").status_code == 200
    assert _sid(app, client) != before
    assert _replay(app, before_cookie).get("/bandeja/").status_code == 302


def test_a_deactivated_user_is_logged_out(app: Flask, client: FlaskClient, world) -> None:
    user_id = world.staff("asesor", "asesor")
    log_in_staff(client, "asesor")
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert client.get("/bandeja/").status_code == 302


@pytest.fixture
def redis_server(tmp_path: Path):
    server = EmbeddedRedis(tmp_path / "redis").start()
    yield server
    server.stop()


def test_logins_go_on_while_redis_is_down_and_registration_keeps_its_email(
    database_url: str,
    session_factory,
    clock: ManualClock,
    redis_server: EmbeddedRedis,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = redis_server.location.url
    monkeypatch.setenv("REDIS_URL", url)  # the workers' dispatcher, as in production
    config = app_config(
        database_url,
        clock,
        WORKERS=True,
        RATELIMIT_STORAGE_URI=url,
        LOGIN_FAILURE_LIMIT="5/minute",
        LOGIN_ADDRESS_FAILURE_LIMIT="30/minute",
        REGISTRATION_RATE_LIMIT="5/hour",
    )
    app = create_app(config)
    init_db(app)
    with app.app_context():
        ensure_staff("comite", "Comité", ["comite_calidad"])
        db.session.commit()
    assert (
        app.test_client()
        .post("/cuenta/funcionarios", data={"username": "comite", "password": "x"})
        .status_code
        == 401
    )  # counted in Redis
    redis_server.stop()

    with caplog.at_level(logging.WARNING):
        client = app.test_client()
        response = client.post(
            "/cuenta/funcionarios", data={"username": "comite", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert client.get("/bandeja/").status_code == 200
        registered = app.test_client().post(
            "/cuenta/registro",
            data={
                "tipo_documento": "CC",
                "documento": "80123456",
                "nombre": "Laura Martínez",
                "email": "laura@example.com",
                "telefono": "3001112233",
                "direccion": "Calle 10 # 5-20",
                "password": "una-clave-larga",
                "password2": "una-clave-larga",
                "consentimiento": "true",
            },
        )
    assert registered.status_code == 302
    assert any("storage unreachable" in r.getMessage() for r in caplog.records)
    # The verification e-mail waits in the outbox for the workers' sweep.
    with app.app_context():
        (mail,) = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.operation == "account_mail")
        ).all()
        assert mail.status == "pending" and mail.params["para"] == "laura@example.com"
        db.session.remove()
        db.engine.dispose()

"""Registration (5.2.2), login (5.2.3), sessions, rate limits, CSRF and security headers."""

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import ManualClock
from engine.models import User
from tests.web.conftest import PASSWORD, app_config, log_in_staff
from web import create_app
from web.extensions import db

REGISTRATION = {
    "tipo_documento": "CC",
    "documento": "80123456",
    "nombre": "Laura Martínez",
    "email": "laura@example.com",
    "telefono": "3001112233",
    "direccion": "Calle 10 # 5-20",
    "password": "una-clave-larga",
    "password2": "una-clave-larga",
    "consentimiento": "true",
}


def _user(app: Flask, document: str) -> User | None:
    with app.app_context():
        return db.session.scalars(select(User).where(User.document_number == document)).first()


def test_a_citizen_registers_with_consent_and_a_hashed_password(
    app: Flask, client: FlaskClient, clock: ManualClock
) -> None:
    response = client.post("/cuenta/registro", data=REGISTRATION)
    assert response.status_code == 302
    user = _user(app, "80123456")
    assert user is not None and user.kind == "citizen"
    assert user.consent_policy_version == "2026-01"
    assert user.consent_at == clock.now()
    assert user.password_hash.startswith("$argon2") and PASSWORD not in user.password_hash
    # Registered and logged in: the portal's pages open.
    assert client.get("/mis-casos").status_code == 200


def test_registration_needs_consent_and_a_long_password(app: Flask, client: FlaskClient) -> None:
    data = {**REGISTRATION, "password": "corta", "password2": "corta"}
    del data["consentimiento"]
    response = client.post("/cuenta/registro", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "al menos 10 caracteres" in page
    assert "tratamiento de sus datos personales" in page
    assert _user(app, "80123456") is None


def test_a_citizen_logs_in_with_document_number(app: Flask, client: FlaskClient, world) -> None:
    world.citizen("1012345678")
    bad = client.post("/cuenta/ingresar", data={"documento": "1012345678", "password": "mala"})
    assert bad.status_code == 401
    assert "incorrectos" in bad.get_data(as_text=True)
    good = client.post("/cuenta/ingresar", data={"documento": "1012345678", "password": PASSWORD})
    assert good.status_code == 302 and good.headers["Location"].endswith("/mis-casos")


def test_a_citizen_cannot_use_the_staff_login(client: FlaskClient, world) -> None:
    world.citizen("1012345678")
    response = client.post(
        "/cuenta/funcionarios", data={"username": "1012345678", "password": PASSWORD}
    )
    assert response.status_code == 401


def test_citizen_updates_basic_data(app: Flask, client: FlaskClient, world) -> None:
    world.citizen("1012345678")
    client.post("/cuenta/ingresar", data={"documento": "1012345678", "password": PASSWORD})
    response = client.post(
        "/mis-datos",
        data={
            "nombre": "Nuevo Nombre",
            "email": "nuevo@example.com",
            "telefono": "3200000000",
            "direccion": "Av. Siempre Viva 742",
        },
    )
    assert response.status_code == 302
    user = _user(app, "1012345678")
    assert (user.full_name, user.email, user.phone) == (
        "Nuevo Nombre",
        "nuevo@example.com",
        "3200000000",
    )


def test_sessions_expire_after_thirty_idle_minutes(
    client: FlaskClient, world, clock: ManualClock
) -> None:
    world.staff("asesor", "asesor")
    log_in_staff(client, "asesor")
    clock.advance(timedelta(minutes=29))
    assert client.get("/bandeja/").status_code == 200
    clock.advance(timedelta(minutes=29))  # activity renewed the idle window
    assert client.get("/bandeja/").status_code == 200
    clock.advance(timedelta(minutes=31))
    response = client.get("/bandeja/")
    assert response.status_code == 302 and "/cuenta/funcionarios" in response.headers["Location"]


def test_login_is_rate_limited_per_user_name_with_a_spanish_message(
    database_url: str, session_factory, clock: ManualClock
) -> None:
    app = create_app(app_config(database_url, clock, LOGIN_RATE_LIMIT="5/minute"))
    client = app.test_client()
    for _ in range(5):
        assert (
            client.post(
                "/cuenta/funcionarios", data={"username": "admin", "password": "x"}
            ).status_code
            == 401
        )
    blocked = client.post("/cuenta/funcionarios", data={"username": "admin", "password": "x"})
    assert blocked.status_code == 429
    assert "Demasiados intentos" in blocked.get_data(as_text=True)


def test_a_post_without_csrf_token_is_rejected(
    database_url: str, session_factory, clock: ManualClock
) -> None:
    app = create_app(app_config(database_url, clock, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    response = client.post("/cuenta/registro", data=REGISTRATION)
    assert response.status_code == 400
    assert "El formulario expiró o no es válido" in response.get_data(as_text=True)
    assert _user(app, "80123456") is None


def test_a_post_with_the_csrf_token_is_accepted(
    database_url: str, session_factory, clock: ManualClock
) -> None:
    import re

    app = create_app(app_config(database_url, clock, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    page = client.get("/cuenta/registro").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/cuenta/registro", data={**REGISTRATION, "csrf_token": token})
    assert response.status_code == 302


def test_every_response_carries_security_headers(client: FlaskClient) -> None:
    response = client.get("/cuenta/ingresar")
    headers = response.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"]
    assert "camera=()" in headers["Permissions-Policy"]
    assert '<html lang="es-CO">' in response.get_data(as_text=True)


def test_session_cookie_is_http_only_and_lax(client: FlaskClient, world) -> None:
    world.staff("asesor", "asesor")
    response = client.post(
        "/cuenta/funcionarios", data={"username": "asesor", "password": PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_user_text_is_escaped(app: Flask, client: FlaskClient) -> None:
    data = {**REGISTRATION, "nombre": "<script>alert(1)</script>", "password": "x"}
    page = client.post("/cuenta/registro", data=data).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page

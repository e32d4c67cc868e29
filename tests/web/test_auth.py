"""Registration (5.2.2), login (5.2.3), sessions, rate limits, CSRF and security headers."""

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.clock import ManualClock
from engine.models import Case, OutboxMessage, User
from tests.web.conftest import PASSWORD, app_config, log_in_staff
from web import create_app
from web.demo import ensure_staff, init_db
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


def _account_mails(app: Flask) -> list[dict]:
    """The account e-mails the requests wrote to the outbox (the workers send them)."""
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.operation == "account_mail")
            .order_by(OutboxMessage.id)
        ).all()
        return [dict(row.params) for row in rows]


def _path(link: str) -> str:
    return urlsplit(link).path


def test_a_citizen_registers_with_consent_and_a_hashed_password(
    app: Flask, client: FlaskClient, clock: ManualClock
) -> None:
    response = client.post("/cuenta/registro", data=REGISTRATION)
    assert response.status_code == 302
    assert response.headers["Location"] == "/cuenta/registro/revise-su-correo"
    assert "Revise su correo" in client.get(response.headers["Location"]).get_data(as_text=True)
    user = _user(app, "80123456")
    assert user is not None and user.kind == "citizen"
    assert user.consent_policy_version == "2026-01"
    assert user.consent_at == clock.now()
    assert user.password_hash.startswith("$argon2") and PASSWORD not in user.password_hash
    assert user.email_verified_at is None
    # Not logged in: the answer must not differ from a registration of a taken document.
    assert client.get("/mis-casos").status_code == 302
    (mail,) = _account_mails(app)
    assert (mail["plantilla"], mail["para"]) == ("verificar_correo", "laura@example.com")
    assert _path(mail["enlace"]).startswith("/cuenta/verificar/")


def test_a_taken_document_gets_the_same_answer_and_its_holder_an_email(
    app: Flask, client: FlaskClient, world
) -> None:
    world.citizen("1012345678")  # e-mail 1012345678@example.com, verified
    fresh = client.post("/cuenta/registro", data=REGISTRATION)
    taken = app.test_client().post(
        "/cuenta/registro",
        data={**REGISTRATION, "documento": "1012345678", "email": "intruso@example.com"},
    )
    assert (taken.status_code, taken.headers["Location"]) == (
        fresh.status_code,
        fresh.headers["Location"],
    )
    assert taken.get_data() == fresh.get_data()
    holder = _user(app, "1012345678")
    assert holder.email == "1012345678@example.com" and holder.full_name != "Laura Martínez"
    mails = _account_mails(app)
    assert [(m["plantilla"], m["para"]) for m in mails] == [
        ("verificar_correo", "laura@example.com"),
        ("registro_existente", "1012345678@example.com"),
    ]
    assert mails[1]["enlace"] is None  # verified already: a pointer to the login instead
    assert "intruso@example.com" not in str(mails)


def test_an_unverified_holder_gets_a_new_link_when_someone_registers_again(
    app: Flask, client: FlaskClient
) -> None:
    client.post("/cuenta/registro", data=REGISTRATION)
    client.post("/cuenta/registro", data={**REGISTRATION, "email": "otra@example.com"})
    first, second = _account_mails(app)
    assert (second["plantilla"], second["para"]) == ("registro_existente", "laura@example.com")
    assert client.post(_path(first["enlace"])).status_code == 400  # replaced by the new one
    assert client.post(_path(second["enlace"])).status_code == 302
    assert _user(app, "80123456").email_verified_at is not None


def test_an_unverified_citizen_cannot_file(app: Flask, client: FlaskClient) -> None:
    client.post("/cuenta/registro", data=REGISTRATION)
    login = client.post(
        "/cuenta/ingresar", data={"documento": "80123456", "password": "una-clave-larga"}
    )
    assert login.status_code == 302
    form = client.get("/radicar")
    assert form.status_code == 302 and form.headers["Location"] == "/cuenta/verificar"
    filing = {
        "tipo": "solicitud",
        "modalidad": "documentos",
        "servicio": "certificados_y_documentos",
        "asunto": "Certificado de deuda",
        "descripcion": "Solicito el certificado de deuda actualizado.",
    }
    refused = client.post("/radicar", data=filing)
    assert refused.status_code == 302 and refused.headers["Location"] == "/cuenta/verificar"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    page = client.get("/cuenta/verificar").get_data(as_text=True)
    assert "Confirme su correo para radicar" in page and "laura@example.com" in page


def test_the_verification_link_works_once(app: Flask, client: FlaskClient) -> None:
    client.post("/cuenta/registro", data=REGISTRATION)
    (mail,) = _account_mails(app)
    link = _path(mail["enlace"])
    # Opening the link (a mail scanner does too) uses nothing up: a button confirms.
    assert "Confirmar mi correo" in client.get(link).get_data(as_text=True)
    assert _user(app, "80123456").email_verified_at is None
    confirmed = client.post(link)
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/cuenta/ingresar"
    assert _user(app, "80123456").email_verified_at is not None
    again = client.post(link)
    assert again.status_code == 400 and "ya fue usado" in again.get_data(as_text=True)
    client.post("/cuenta/ingresar", data={"documento": "80123456", "password": "una-clave-larga"})
    assert client.get("/radicar").status_code == 200
    assert client.post("/cuenta/verificar/no-es-un-enlace").status_code == 400


def test_an_expired_link_is_refused_and_a_new_one_can_be_asked_for(
    app: Flask, client: FlaskClient, clock: ManualClock
) -> None:
    client.post("/cuenta/registro", data=REGISTRATION)
    (mail,) = _account_mails(app)
    clock.advance(timedelta(hours=24, seconds=1))
    expired = client.post(_path(mail["enlace"]))
    assert expired.status_code == 410 and "venció" in expired.get_data(as_text=True)
    assert _user(app, "80123456").email_verified_at is None
    client.post("/cuenta/ingresar", data={"documento": "80123456", "password": "una-clave-larga"})
    assert client.post("/cuenta/verificar").status_code == 302
    _first, renewed = _account_mails(app)
    assert renewed["plantilla"] == "verificar_correo"
    # Verifying while logged in changes the session's privileges: it goes on, rotated.
    before = client.get_cookie("session").value
    verified = client.post(_path(renewed["enlace"]))
    assert verified.status_code == 302 and verified.headers["Location"] == "/radicar"
    assert client.get_cookie("session").value != before
    assert client.get("/radicar").status_code == 200


def test_registration_is_rate_limited_per_address(
    database_url: str, session_factory, clock: ManualClock
) -> None:
    app = create_app(app_config(database_url, clock, REGISTRATION_RATE_LIMIT="2/hour"))
    client = app.test_client()
    # Form errors are not registrations: they do not count.
    assert (
        client.post("/cuenta/registro", data={**REGISTRATION, "password2": "otra"}).status_code
        == 400
    )
    for document in ("80000001", "80000002"):
        assert (
            client.post(
                "/cuenta/registro", data={**REGISTRATION, "documento": document}
            ).status_code
            == 302
        )
    blocked = client.post("/cuenta/registro", data={**REGISTRATION, "documento": "80000003"})
    assert blocked.status_code == 429
    assert "demasiados registros" in blocked.get_data(as_text=True)
    assert _user(app, "80000003") is None
    other = app.test_client().post(
        "/cuenta/registro",
        data={**REGISTRATION, "documento": "80000004"},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other.status_code == 302


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


def test_a_new_email_address_is_confirmed_before_the_next_filing(
    app: Flask, client: FlaskClient, world
) -> None:
    world.citizen("1012345678")
    client.post("/cuenta/ingresar", data={"documento": "1012345678", "password": PASSWORD})
    data = {
        "nombre": "Ciudadano 1012345678",
        "email": "nueva@example.com",
        "telefono": "3001234567",
        "direccion": "Calle 1 # 2-3",
    }
    assert client.post("/mis-datos", data=data).status_code == 302
    assert _user(app, "1012345678").email_verified_at is None
    assert client.get("/radicar").headers["Location"] == "/cuenta/verificar"
    (mail,) = _account_mails(app)
    assert (mail["plantilla"], mail["para"]) == ("verificar_correo", "nueva@example.com")
    assert client.post(_path(mail["enlace"])).status_code == 302
    assert client.get("/radicar").status_code == 200
    # Other data changes keep the address confirmed.
    assert client.post("/mis-datos", data={**data, "telefono": "3109876543"}).status_code == 302
    assert client.get("/radicar").status_code == 200


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


def _limited_app(database_url: str, clock: ManualClock, **limits: str) -> Flask:
    config = {"LOGIN_FAILURE_LIMIT": "5/minute", "LOGIN_ADDRESS_FAILURE_LIMIT": "30/minute"}
    app = create_app(app_config(database_url, clock, **{**config, **limits}))
    init_db(app)
    with app.app_context():
        ensure_staff("comite", "Comité", ["comite_calidad"])
        ensure_staff("jefe", "Jefe", ["jefe_ocm"])
        db.session.commit()
    return app


def _staff_login(client: FlaskClient, username: str, password: str, address: str) -> int:
    response = client.post(
        "/cuenta/funcionarios",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def test_successful_logins_are_not_limited(
    database_url: str, session_factory, clock: ManualClock
) -> None:
    app = _limited_app(database_url, clock)
    office = "10.0.0.1"
    # A whole office logs in within the minute: the sixth (and the tenth) gets in.
    statuses = [_staff_login(app.test_client(), "comite", PASSWORD, office) for _ in range(10)]
    assert statuses == [302] * 10


def test_wrong_passwords_slow_down_that_account_from_that_address_only(
    database_url: str, session_factory, clock: ManualClock
) -> None:
    app = _limited_app(database_url, clock)
    attacker, owner = "203.0.113.7", "10.0.0.1"
    client = app.test_client()
    assert [_staff_login(client, "comite", "adivina", attacker) for _ in range(5)] == [401] * 5
    blocked = client.post(
        "/cuenta/funcionarios",
        data={"username": "comite", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": attacker},
    )
    assert blocked.status_code == 429
    assert "Demasiados intentos fallidos con este usuario" in blocked.get_data(as_text=True)
    # The real user, from their own address, is not locked out.
    assert _staff_login(app.test_client(), "comite", PASSWORD, owner) == 302
    # Another account from the attacker's address is not blocked by comite's failures.
    assert _staff_login(app.test_client(), "jefe", PASSWORD, attacker) == 302


def test_failures_from_one_address_are_capped_across_accounts(
    database_url: str, session_factory, clock: ManualClock
) -> None:
    app = _limited_app(database_url, clock, LOGIN_ADDRESS_FAILURE_LIMIT="8/minute")
    spray = "198.51.100.4"
    names = [f"usuario{i}" for i in range(8)]
    assert [_staff_login(app.test_client(), n, "x", spray) for n in names] == [401] * 8
    refused = app.test_client().post(
        "/cuenta/funcionarios",
        data={"username": "jefe", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": spray},
    )
    assert refused.status_code == 429
    assert "desde su conexión" in refused.get_data(as_text=True)
    assert _staff_login(app.test_client(), "jefe", PASSWORD, "10.0.0.1") == 302


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

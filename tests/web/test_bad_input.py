"""Bad input gets a clear Spanish answer, never a 500: texts longer than their column,
control characters, e-mail addresses that are not, numbers and dates out of range, a value
the database itself refuses, and the same filing form sent twice at once."""

import http.client
import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select, text

from engine import definitions
from engine.models import Case, FilingToken, User
from tests.conftest import ROOT
from tests.web.conftest import PASSWORD, app_config, filing_token, log_in_citizen, log_in_staff
from web import create_app
from web.demo import init_db
from web.extensions import db
from web.input_rules import column_length

FILING = {
    "tipo": "reclamo",
    "servicio": "fondos_en_administracion",
    "asunto": "Giro no recibido",
    "descripcion": "El giro del semestre no ha llegado a la universidad.",
}
REGISTRATION = {
    "tipo_documento": "CC",
    "documento": "1020304050",
    "nombre": "Laura Gómez",
    "email": "laura@example.com",
    "telefono": "3001234567",
    "direccion": "Calle 10 # 5-20",
    "password": "Una-clave-larga-2026",
    "password2": "Una-clave-larga-2026",
    "consentimiento": "true",
}
PROFILE = {
    "nombre": "Ciudadano Uno",
    "email": "uno@example.com",
    "telefono": "3001234567",
    "direccion": "Calle 1 # 2-3",
}


def _users(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User)) or 0


def _cases(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Case)) or 0


# --- lengths from the model ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "column"),
    [("nombre", User.full_name), ("direccion", User.address), ("email", User.email)],
)
def test_registration_refuses_a_text_longer_than_its_column(
    app: Flask, client: FlaskClient, field: str, column
) -> None:
    limit = column_length(column)
    value = "a" * (limit + 1) if field != "email" else "a" * limit + "@example.com"
    response = client.post("/cuenta/registro", data={**REGISTRATION, field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Hay problemas en el formulario" in page
    assert f'id="error-{field}"' in page
    if field != "email":  # an over-long address is first of all not an address
        assert f"máximo {limit} caracteres" in page
    assert _users(app) == 0


def test_a_megabyte_name_is_refused_in_spanish_and_never_stored(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/cuenta/registro", data={**REGISTRATION, "nombre": "N" * 2**20})
    assert response.status_code == 400
    assert "demasiado largo" in response.get_data(as_text=True)
    assert _users(app) == 0


def test_the_form_fields_carry_the_column_lengths(client: FlaskClient) -> None:
    page = client.get("/cuenta/registro").get_data(as_text=True)
    assert f'maxlength="{column_length(User.full_name)}"' in page
    assert f'maxlength="{column_length(User.address)}"' in page


def test_the_profile_refuses_long_text_and_line_breaks(
    app: Flask, client: FlaskClient, world
) -> None:
    world.citizen()
    log_in_citizen(client)
    limit = column_length(User.address)
    long = client.post("/mis-datos", data={**PROFILE, "direccion": "d" * (limit + 1)})
    assert long.status_code == 400
    assert f"máximo {limit} caracteres" in long.get_data(as_text=True)
    broken = client.post("/mis-datos", data={**PROFILE, "nombre": "Ana\nMaría"})
    assert broken.status_code == 400
    assert "caracteres no permitidos" in broken.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.address == "Calle 1 # 2-3" and user.full_name == "Ciudadano 1012345678"


@pytest.mark.parametrize(
    "address",
    ['"><script>@x.co', "a@b", "sin-arroba.example.com", "dos@@example.com", "a@localhost"],
)
def test_an_email_address_must_be_an_address(app: Flask, client: FlaskClient, address) -> None:
    response = client.post("/cuenta/registro", data={**REGISTRATION, "email": address})
    assert response.status_code == 400
    assert "Escriba un correo electrónico válido." in response.get_data(as_text=True)
    assert _users(app) == 0


def test_the_profile_refuses_an_email_that_is_not_one(client: FlaskClient, world) -> None:
    world.citizen()
    log_in_citizen(client)
    response = client.post("/mis-datos", data={**PROFILE, "email": '"><script>@x.co'})
    assert response.status_code == 400
    assert "Escriba un correo electrónico válido." in response.get_data(as_text=True)


# --- control characters ----------------------------------------------------------------------


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x0b", "\x1f", "\x7f"])
def test_control_characters_are_refused_in_any_form_field(
    app: Flask, client: FlaskClient, world, character: str
) -> None:
    world.citizen()
    log_in_citizen(client)
    response = client.post("/mis-datos", data={**PROFILE, "nombre": f"Ana{character}María"})
    assert response.status_code == 400
    assert "El formulario contiene caracteres no permitidos." in response.get_data(as_text=True)
    staff = app.test_client()
    response = staff.post(
        "/cuenta/funcionarios", data={"username": f"admin{character}", "password": "x"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    ["/mis-casos/AV-2026%00", "/bandeja/?tipo=queja%00", "/bandeja/?vista%01=group", "/%00"],
)
def test_control_characters_are_refused_in_the_url(client: FlaskClient, world, path: str) -> None:
    world.staff("asesor", "asesor")
    log_in_staff(client, "asesor")
    response = client.get(path)
    assert response.status_code == 400
    assert "La dirección contiene caracteres no permitidos." in response.get_data(as_text=True)


def test_a_filing_keeps_line_breaks_in_the_description_but_not_in_the_subject(
    app: Flask, client: FlaskClient, world
) -> None:
    world.citizen()
    log_in_citizen(client)
    data = {**FILING, "asunto": "Giro\tno recibido", "formulario": filing_token(client)}
    response = client.post("/radicar", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="error-asunto"' in page and "caracteres no permitidos" in page
    assert "Giro\tno recibido" in page  # the form keeps what the citizen wrote
    assert _cases(app) == 0
    data = {
        **FILING,
        "descripcion": "Primer párrafo del caso.\r\n\r\nSegundo párrafo.",
        "formulario": filing_token(client),
    }
    assert client.post("/radicar", data=data).status_code == 302
    with app.app_context():
        case = db.session.scalars(select(Case)).one()
        assert case.description == "Primer párrafo del caso.\n\nSegundo párrafo."


def test_the_case_column_bounds_the_subject_even_where_a_deployed_form_allows_more(
    app: Flask, client: FlaskClient, world
) -> None:
    files = definitions.read_directory(ROOT)
    form = json.loads(files["forms/radicar.json"])
    form["properties"]["asunto"]["maxLength"] = 500
    files["forms/radicar.json"] = json.dumps(form)
    with app.app_context():
        world.engine().deploy(files)
        db.session.commit()
    world.citizen()
    log_in_citizen(client)
    limit = column_length(Case.subject)
    data = {**FILING, "asunto": "a" * (limit + 1), "formulario": filing_token(client)}
    response = client.post("/radicar", data=data)
    assert response.status_code == 400
    assert f"máximo {limit} caracteres" in response.get_data(as_text=True)
    assert _cases(app) == 0


def test_a_filing_description_over_its_limit_is_refused(
    app: Flask, client: FlaskClient, world
) -> None:
    world.citizen()
    log_in_citizen(client)
    data = {**FILING, "descripcion": "x" * 5001, "formulario": filing_token(client)}
    response = client.post("/radicar", data=data)
    assert response.status_code == 400
    assert "entre 20 y 5000 caracteres" in response.get_data(as_text=True)
    assert _cases(app) == 0


# --- numbers and dates out of range ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("pagina=99999999999999999999", "El número de página no es válido."),
        ("pagina=0", "El número de página no es válido."),
        ("pagina=-3", "El número de página no es válido."),
        ("pagina=dos", "El número de página no es válido."),
        ("vence_antes=9999-12-31", "La fecha está fuera del rango permitido."),
        ("vence_antes=0001-01-01", "La fecha está fuera del rango permitido."),
        ("vence_antes=2026-02-30", "La fecha no es válida"),
        ("tarea=" + "t" * 101, "El filtro no es válido."),
        ("tipo=" + "q" * 31, "El filtro no es válido."),
    ],
)
def test_inbox_query_strings_out_of_range_answer_400(
    client: FlaskClient, world, query: str, message: str
) -> None:
    world.staff("asesor", "asesor")
    log_in_staff(client, "asesor")
    response = client.get(f"/bandeja/?vista=group&{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_inbox_accepts_sensible_pages_and_dates(client: FlaskClient, world) -> None:
    world.staff("asesor", "asesor")
    log_in_staff(client, "asesor")
    assert client.get("/bandeja/?vista=group&pagina=7&vence_antes=2026-12-31").status_code == 200


@pytest.mark.parametrize("attachment_id", ["99999999999999999999", "2147483648", "0"])
def test_a_huge_attachment_id_is_not_found(client: FlaskClient, world, attachment_id: str) -> None:
    world.citizen()
    log_in_citizen(client)
    response = client.get(f"/adjuntos/{attachment_id}")
    assert response.status_code == 404
    assert "Página no encontrada" in response.get_data(as_text=True)


@pytest.mark.parametrize("assignee", ["99999999999999999999", "2147483648", "-1", "x"])
def test_a_huge_reassignment_id_is_refused_in_spanish(
    client: FlaskClient, world, assignee: str
) -> None:
    citizen = world.citizen()
    world.staff("coordinador", "coordinador", "asesor")
    radicado = world.file_case(citizen)
    task_id = world.open_task_id(radicado, "ut_5_2_6")
    log_in_staff(client, "coordinador")
    response = client.post(f"/bandeja/tareas/{task_id}/reasignar", data={"asignado": assignee})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Seleccione a quién reasignar la tarea." in page


def test_a_huge_number_of_extension_days_is_refused(client: FlaskClient, world) -> None:
    citizen = world.citizen()
    world.staff("asesor", "asesor")
    radicado = world.file_case(citizen)
    log_in_staff(client, "asesor")
    response = client.post(
        f"/bandeja/casos/{radicado}/prorroga",
        data={"dias": "99999999999999999999", "motivos": "Se espera el concepto jurídico."},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Indique cuántos días hábiles amplía el término." in page
    assert world.case(radicado).extended_at is None


# --- prórroga reasons -------------------------------------------------------------------------


def test_a_prorroga_needs_real_reasons(client: FlaskClient, world) -> None:
    citizen = world.citizen()
    world.staff("asesor", "asesor")
    radicado = world.file_case(citizen)
    log_in_staff(client, "asesor")
    short = client.post(f"/bandeja/casos/{radicado}/prorroga", data={"dias": "5", "motivos": "ok"})
    assert short.status_code == 409
    assert "al menos 20 caracteres" in short.get_data(as_text=True)
    limit = column_length(Case.extension_reasons)
    long = client.post(
        f"/bandeja/casos/{radicado}/prorroga", data={"dias": "5", "motivos": "m" * (limit + 1)}
    )
    assert long.status_code == 302
    page = client.get(long.headers["Location"]).get_data(as_text=True)
    assert f"máximo {limit} caracteres" in page
    assert world.case(radicado).extended_at is None


# --- HSTS ---------------------------------------------------------------------------------------


def test_hsts_is_sent_over_https_only(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_forwarded_https_counts_only_behind_a_configured_proxy(
    database_url: str, session_factory, clock, client: FlaskClient
) -> None:
    forwarded = {"X-Forwarded-Proto": "https"}
    assert "Strict-Transport-Security" not in client.get("/", headers=forwarded).headers
    proxied = create_app(app_config(database_url, clock, TRUSTED_PROXIES=1))
    init_db(proxied)
    response = proxied.test_client().get("/", headers={**forwarded, "X-Forwarded-For": "1.2.3.4"})
    assert "Strict-Transport-Security" in response.headers
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


# --- a value the database refuses ---------------------------------------------------------------


@contextmanager
def database_refuses(engine: Engine, table: str, column: str, value: str) -> Iterator[None]:
    """A trigger that makes the database itself refuse ``value`` in ``table.column``."""
    if engine.dialect.name == "postgresql":
        create = [
            f"""CREATE FUNCTION refuse_{table}() RETURNS trigger AS $$
                BEGIN
                  IF NEW.{column} = '{value}' THEN
                    RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation';
                  END IF;
                  RETURN NEW;
                END $$ LANGUAGE plpgsql""",
            f"""CREATE TRIGGER refuse_{table} BEFORE INSERT OR UPDATE ON {table}
                FOR EACH ROW EXECUTE FUNCTION refuse_{table}()""",
        ]
        drop = [
            f"DROP TRIGGER IF EXISTS refuse_{table} ON {table}",
            f"DROP FUNCTION IF EXISTS refuse_{table}()",
        ]
    else:
        create = [
            f"""CREATE TRIGGER refuse_{table}_{event} BEFORE {event} ON {table}
                WHEN NEW.{column} = '{value}' BEGIN SELECT RAISE(ABORT, 'refused'); END"""
            for event in ("INSERT", "UPDATE")
        ]
        drop = [f"DROP TRIGGER IF EXISTS refuse_{table}_{e}" for e in ("INSERT", "UPDATE")]
    with engine.begin() as conn:
        for statement in create:
            conn.execute(text(statement))
    try:
        yield
    finally:
        with engine.begin() as conn:
            for statement in drop:
                conn.execute(text(statement))


def test_a_database_error_on_the_profile_rolls_back_to_a_spanish_page(
    app: Flask, client: FlaskClient, world, db_engine: Engine
) -> None:
    world.citizen()
    log_in_citizen(client)
    with database_refuses(db_engine, "users", "address", "Calle rechazada 1"):
        response = client.post("/mis-datos", data={**PROFILE, "direccion": "Calle rechazada 1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Uno de los datos enviados no pudo guardarse." in page
    assert "Sesión de Ciudadano 1012345678" in page  # the page read the user after the rollback
    assert client.post("/mis-datos", data=PROFILE).status_code == 302


def test_a_database_error_while_filing_keeps_the_form_filled(
    app: Flask, client: FlaskClient, world, db_engine: Engine
) -> None:
    world.citizen()
    log_in_citizen(client)
    token = filing_token(client)
    data = {**FILING, "asunto": "Asunto rechazado", "formulario": token}
    with database_refuses(db_engine, "cases", "subject", "Asunto rechazado"):
        response = client.post("/radicar", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "No pudimos radicar su solicitud" in page
    assert 'value="Asunto rechazado"' in page and FILING["descripcion"] in page
    assert _cases(app) == 0
    # The same form, sent again once the database accepts it, files the case once.
    assert client.post("/radicar", data=data).status_code == 302
    assert _cases(app) == 1


# --- one filing per form ------------------------------------------------------------------------


def test_a_filing_without_its_form_token_is_refused(app: Flask, client: FlaskClient, world) -> None:
    world.citizen()
    world.citizen("2222222222")
    log_in_citizen(client)
    other = app.test_client()
    log_in_citizen(other, "2222222222")
    for token in (None, "inventado", filing_token(other)):  # the last: another citizen's
        data = {**FILING} if token is None else {**FILING, "formulario": token}
        response = client.post("/radicar", data=data)
        assert response.status_code == 400
        assert "El formulario expiró." in response.get_data(as_text=True)
    assert _cases(app) == 0


def test_the_same_form_sent_again_shows_the_case_already_filed(
    app: Flask, client: FlaskClient, world
) -> None:
    world.citizen()
    log_in_citizen(client)
    data = {**FILING, "formulario": filing_token(client)}
    first = client.post("/radicar", data=data)
    again = client.post("/radicar", data=data)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Esta solicitud ya quedó radicada con el número AV-2026-000001." in page
    assert _cases(app) == 1


def _http(
    host: str, method: str, path: str, body: dict[str, str] | None = None, cookie: str = ""
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(host, timeout=60)
    headers = {"Cookie": cookie} if cookie else {}
    payload = None
    if body is not None:
        payload = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_two_forms_each_sent_six_times_at_once_file_two_cases(
    app: Flask, world, served: str
) -> None:
    served = served.removeprefix("http://")  # host:port, for http.client
    world.citizen()
    login = _http(
        served, "POST", "/cuenta/ingresar", {"documento": "1012345678", "password": PASSWORD}
    )
    assert login.status == 302
    cookie = login.headers["Set-Cookie"].split(";")[0]
    tokens = []
    for _form in range(2):
        connection = http.client.HTTPConnection(served, timeout=60)
        connection.request("GET", "/radicar", headers={"Cookie": cookie})
        page = connection.getresponse().read().decode()
        connection.close()
        tokens.append(page.split('name="formulario" value="')[1].split('"')[0])
    submissions = [{**FILING, "formulario": token} for token in tokens for _ in range(6)]
    start = threading.Barrier(len(submissions))
    answers: list[tuple[int, str]] = []

    def submit(body: dict[str, str]) -> None:
        start.wait()
        response = _http(served, "POST", "/radicar", body, cookie)
        answers.append((response.status, response.headers.get("Location", "")))

    threads = [threading.Thread(target=submit, args=(body,)) for body in submissions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 12
    assert {status for status, _location in answers} == {302}
    locations = {location.rsplit("/", 1)[-1] for _status, location in answers}
    assert locations == {"AV-2026-000001", "AV-2026-000002"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 2
        used = db.session.scalars(select(FilingToken)).all()
        assert len(used) == 2 and all(token.case_id for token in used)

"""The studio's pages and who may use them: process owners edit and deploy, administrators read,
nobody else gets in (every route, every method)."""

import io
import zipfile

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import app_config, log_in_citizen, log_in_staff
from web import create_app
from web.demo import init_db
from web.extensions import db

CASE = "bpmn/caso_pqrs.bpmn"
# The file each studio page opens in the route sweep (the rest take the case diagram).
SAMPLE_PATHS = {"studio.table": "bpmn/terminos_legales.dmn", "studio.form": "forms/radicar.json"}


def routes(app: Flask) -> list[tuple[str, str, bool]]:
    """(method, url, writes) of every studio route, from the app's own URL map."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("studio."):
            continue
        path = SAMPLE_PATHS.get(rule.endpoint, CASE)
        url = rule.rule.replace("<path:path>", path).replace("<int:version>", "1")
        url += "?de=1&a=1" if rule.endpoint == "studio.compare_versions" else ""
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.append((method, url, method != "GET"))
    return sorted(found)


def call(client: FlaskClient, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.post(url, json={"contenido": "x", "revision": 0}, data=None)


@pytest.mark.parametrize("username", ["asesor", "coordinador", "funcionario"])
def test_staff_without_the_role_get_no_studio_route(app: Flask, world, username: str) -> None:
    groups = {"asesor": "asesor", "coordinador": "coordinador", "funcionario": "area_fondos"}
    world.staff(username, groups[username])
    client = app.test_client()
    log_in_staff(client, username)
    assert routes(app), "the studio has routes"
    for method, url, _ in routes(app):
        assert call(client, method, url).status_code == 403, (method, url)
    assert "Estudio" not in client.get("/bandeja/").get_data(as_text=True)


def test_citizens_and_strangers_get_no_studio_route(app: Flask, world) -> None:
    world.citizen()
    citizen = app.test_client()
    log_in_citizen(citizen)
    stranger = app.test_client()
    for method, url, _ in routes(app):
        assert call(citizen, method, url).status_code == 403, (method, url)
        assert call(stranger, method, url).status_code == 302, (method, url)


def test_an_administrator_reads_the_studio_but_cannot_change_it(app: Flask, world) -> None:
    world.staff("admin", "administrador")
    client = app.test_client()
    log_in_staff(client, "admin")
    for method, url, writes in routes(app):
        status = call(client, method, url).status_code
        assert status == (403 if writes else 200), (method, url)


def test_an_owner_saves_a_draft_sees_its_problems_and_deploys_a_version(app: Flask, world) -> None:
    world.staff("dueno", "dueno_proceso")
    client = app.test_client()
    log_in_staff(client, "dueno")
    original = client.get(f"/estudio/archivos/{CASE}").get_data(as_text=True)
    broken = original.replace('tFormalExpression">registrado<', 'tFormalExpression">(<', 1)
    saved = client.post(f"/estudio/borradores/{CASE}", json={"contenido": broken, "revision": 0})
    assert saved.status_code == 200
    body = saved.get_json()
    assert body["revision"] == 1 and "problema" in body["mensaje"]
    assert any(p["element_id"] == "f_reg_si" for p in body["problemas"])
    stale = client.post(f"/estudio/borradores/{CASE}", json={"contenido": broken, "revision": 0})
    assert stale.status_code == 409 and "Recargue" in stale.get_json()["mensaje"]

    refused = client.post("/estudio/desplegar", data={"comentario": "Condición corregida"})
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "No se desplegó" in page and "f_reg_si" in page

    fixed = original.replace('name="5.2.6 ', 'name="5.2.6 Revisar y ', 1)
    assert (
        client.post(
            f"/estudio/borradores/{CASE}", json={"contenido": fixed, "revision": 1}
        ).get_json()["problemas"]
        == []
    )
    deployed = client.post("/estudio/desplegar", data={"comentario": "Nombre más claro de 5.2.6"})
    page = client.get(deployed.headers["Location"]).get_data(as_text=True)
    assert "Se desplegó la versión 2" in page and "Nombre más claro de 5.2.6" in page

    compared = client.get("/estudio/comparar?de=1&a=2").get_data(as_text=True)
    assert "1 cambio" in compared and "Modificado:" in compared and "ut_5_2_6" in compared
    assert "Nombre: «5.2.6 Revisar la solicitud" in compared
    assert client.get("/estudio/comparar?de=1&a=99").status_code == 404

    archive = zipfile.ZipFile(io.BytesIO(client.get("/estudio/versiones/2.zip").data))
    assert archive.read(CASE).decode() == fixed
    assert "forms/radicar.json" in archive.namelist()


def test_studio_writes_need_the_csrf_token(database_url: str, session_factory, clock, world):
    app = create_app(app_config(database_url, clock, WTF_CSRF_ENABLED=True))
    init_db(app)
    try:
        from tests.web.conftest import World

        World(app).staff("dueno", "dueno_proceso")
        client = app.test_client()
        login = client.get("/cuenta/funcionarios").get_data(as_text=True)
        token = login.split('name="csrf_token" value="')[1].split('"')[0]
        client.post(
            "/cuenta/funcionarios",
            data={"username": "dueno", "password": "Demo2026!seguro", "csrf_token": token},
        )
        answer = client.post(f"/estudio/borradores/{CASE}", json={"contenido": "x", "revision": 0})
        assert answer.status_code == 400
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_init_db_says_which_version_it_deployed_and_what_changed(app: Flask, tmp_path) -> None:
    import shutil
    from pathlib import Path

    from web.demo import init_db

    root = Path(app.config["DEFINITIONS_ROOT"])
    assert init_db(app) == "Sin cambios en la definición: sigue vigente la versión 1."
    copy = tmp_path / "definicion"
    shutil.copytree(root / "bpmn", copy / "bpmn")
    shutil.copytree(root / "forms", copy / "forms")
    form = copy / "forms" / "tipificar.json"
    form.write_text(form.read_text().replace("Tipificar", "Tipificar el caso", 1))
    app.config["DEFINITIONS_ROOT"] = str(copy)
    assert init_db(app) == "Versión 2 desplegada. Archivos: forms/tipificar.json (modificado)."


def test_a_diagram_from_another_tool_opens_with_what_the_engine_does_not_run_explained(
    app: Flask, world
) -> None:
    from pathlib import Path

    world.staff("dueno", "dueno_proceso")
    client = app.test_client()
    log_in_staff(client, "dueno")
    source = Path(__file__).parent.parent / "engine" / "data" / "camunda_modeler.bpmn"
    answer = client.post(
        "/estudio/importar",
        data={"destino": "nuevo", "archivo": (io.BytesIO(source.read_bytes()), "Viáticos v2.bpmn")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/estudio/diagramas/bpmn/viaticos_v2.bpmn")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Se importó" in page
    for expected in (
        "formKey",  # another engine's attribute, with what to use instead
        "Formulario (archivo en forms/)",
        "javascript",  # a script in another language
        "bpmn:complexGateway",  # an element the engine does not run
        "debe ir entre comillas",  # an ISO duration without quotes
        "JUEL o FEEL",  # a condition in another engine's language
    ):
        assert expected in page, expected
    assert "Traceback" not in page

    for bad, message in ((b"<bpmn:definitions", "no es XML bien formado"),
                         (b"<html></html>", "no es un diagrama BPMN 2.0"),
                         (b"\xff\xfe", "UTF-8")):  # fmt: skip
        refused = client.post(
            "/estudio/importar",
            data={"destino": "nuevo", "archivo": (io.BytesIO(bad), "x.bpmn")},
            content_type="multipart/form-data",
        )
        assert message in client.get(refused.headers["Location"]).get_data(as_text=True)


def test_the_form_editor_opens_with_the_preview_drawn_not_its_markup(app: Flask, world) -> None:
    world.staff("dueno", "dueno_proceso")
    client = app.test_client()
    log_in_staff(client, "dueno")
    page = client.get("/estudio/formularios/forms/elaborar_respuesta.json").get_data(as_text=True)
    preview = page.split("<div data-preview>", 1)[1]
    assert preview.lstrip().startswith('<form class="stack form-preview"')
    assert "&lt;form" not in page
    assert 'name="respuesta"' in preview  # the answer field, drawn as on the task page

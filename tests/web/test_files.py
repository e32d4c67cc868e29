"""Internal documents stay internal: the citizen sees what they filed and what was sent with
the final answer, nothing else; staff see every file, labelled with who attached it and at
which step; the answer is a PDF letter with the letterhead, radicado and date.

The case is worked through the real pages: the citizen files with a PDF, Fondos attaches
evidence at 5.2.12, the Asesor drafts with a file, Calidad rejects, the Asesor drafts again
with another file, Calidad approves and classifies, 5.2.17 sends the answer.
"""

import io
import itertools
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from engine.models import Attachment, Deployment, HumanTask, ProcessInstance, User
from tests.web.conftest import PDF, filing_token, log_in_citizen, log_in_staff, upload
from web.extensions import db

OWNER, OTHER = "1111111111", "2222222222"
STAFF = {
    "asesor": ["asesor"],
    "funcionario.fondos": ["area_fondos"],
    "funcionario.juridica": ["area_juridica"],
    "calidad": ["agente_calidad"],
    "admin": ["administrador"],
    "coordinador": ["coordinador"],
    "dueno": ["dueno_proceso"],
}
PERSONAS = ["anonimo", "ciudadano", "otro_ciudadano", *STAFF]
CASE_STAFF = {"asesor", "funcionario.fondos", "calidad", "admin"}  # worked the case, or admin


@dataclass
class World:
    radicado: str
    files: dict[str, int]  # filed, evidence, first_draft, answer -> attachment id


def client_for(app: Flask, persona: str) -> FlaskClient:
    client = app.test_client()
    if persona == "ciudadano":
        log_in_citizen(client, OWNER)
    elif persona == "otro_ciudadano":
        log_in_citizen(client, OTHER)
    elif persona != "anonimo":
        log_in_staff(client, persona)
    return client


def post_task(client: FlaskClient, world, radicado: str, bpmn_id: str, data: dict) -> None:
    task_id = world.open_task_id(radicado, bpmn_id)
    response = client.post(
        f"/bandeja/tareas/{task_id}", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def file_id(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.scalars(select(Attachment.id).where(Attachment.filename == name)).one()


def work_the_case(app: Flask, world, answered: bool = True) -> World:
    for name, groups in STAFF.items():
        world.staff(name, *groups)
    world.citizen(OWNER)
    world.citizen(OTHER)
    citizen = client_for(app, "ciudadano")
    filing = {
        "tipo": "reclamo",
        "servicio": "fondos_en_administracion",
        "asunto": "Giro no recibido",
        "descripcion": "El giro del semestre no ha llegado a la universidad.",
        "adjuntos": [upload(PDF, "soporte.pdf")],
        "formulario": filing_token(citizen),
    }
    response = citizen.post("/radicar", data=filing, content_type="multipart/form-data")
    radicado = response.headers["Location"].rsplit("/", 1)[1]
    world.escalate(radicado, "area_fondos")
    world.complete(
        radicado, "ut_5_2_11", "funcionario.fondos", {"es_de_mi_area": True, "analisis_area": "Sí."}
    )
    fondos = client_for(app, "funcionario.fondos")
    post_task(fondos, world, radicado, "ut_5_2_12", {
        "hallazgos": "El giro salió el 3 de marzo; la universidad no lo aplicó.",
        "adjuntos_investigacion": [upload(PDF, "evidencia-interna.pdf")],
    })  # fmt: skip
    world.complete(
        radicado,
        "ut_5_2_13",
        "funcionario.fondos",
        {"informacion_area": "El giro salió el 3 de marzo a la universidad."},
    )
    asesor = client_for(app, "asesor")
    answer = "Hemos verificado que el giro salió el 3 de marzo; la universidad ya lo aplicó."
    post_task(asesor, world, radicado, "ut_5_2_14", {
        "plantilla": "respuesta_de_fondo", "respuesta": answer,
        "adjuntos_respuesta": [upload(PDF, "borrador-descartado.pdf")],
    })  # fmt: skip
    review = {"acorde": True, "clara": True, "sin_errores_forma": True}
    world.complete(radicado, "ut_5_2_15", "calidad", {
        **review, "cumple": False, "observaciones_calidad": "Adjunte el comprobante correcto.",
    })  # fmt: skip
    post_task(asesor, world, radicado, "ut_5_2_14", {
        "plantilla": "respuesta_de_fondo", "respuesta": answer,
        "adjuntos_respuesta": [upload(PDF, "comprobante-giro.pdf")],
    })  # fmt: skip
    world.complete(radicado, "ut_5_2_15", "calidad", {**review, "cumple": True})
    if answered:
        world.complete(radicado, "ut_5_2_16", "calidad", {"tipificacion": "informacion_general"})
    names = {
        "filed": "soporte.pdf",
        "evidence": "evidencia-interna.pdf",
        "first_draft": "borrador-descartado.pdf",
        "answer": "comprobante-giro.pdf",
    }
    return World(radicado, {key: file_id(app, name) for key, name in names.items()})


def test_before_the_answer_the_citizen_sees_only_what_they_filed(app: Flask, world) -> None:
    w = work_the_case(app, world, answered=False)
    citizen = client_for(app, "ciudadano")
    page = citizen.get(f"/mis-casos/{w.radicado}").get_data(as_text=True)
    assert "soporte.pdf" in page
    for hidden in ("evidencia-interna.pdf", "borrador-descartado.pdf", "comprobante-giro.pdf"):
        assert hidden not in page
    assert citizen.get(f"/adjuntos/{w.files['filed']}").status_code == 200
    for key in ("evidence", "first_draft", "answer"):  # the direct URL too
        assert citizen.get(f"/adjuntos/{w.files[key]}").status_code == 404
    assert citizen.get(f"/respuestas/{w.radicado}.pdf").status_code == 404


def test_after_the_answer_the_citizen_gets_the_files_sent_with_it_and_no_other(
    app: Flask, world
) -> None:
    w = work_the_case(app, world)
    citizen = client_for(app, "ciudadano")
    page = citizen.get(f"/mis-casos/{w.radicado}").get_data(as_text=True)
    assert "soporte.pdf" in page and "comprobante-giro.pdf" in page
    assert "evidencia-interna.pdf" not in page and "borrador-descartado.pdf" not in page
    assert citizen.get(f"/adjuntos/{w.files['answer']}").status_code == 200
    assert citizen.get(f"/adjuntos/{w.files['evidence']}").status_code == 404
    assert citizen.get(f"/adjuntos/{w.files['first_draft']}").status_code == 404


def test_staff_see_every_file_labelled_with_who_attached_it_at_which_step(
    app: Flask, world
) -> None:
    w = work_the_case(app, world)
    page = client_for(app, "asesor").get(f"/bandeja/casos/{w.radicado}").get_data(as_text=True)
    for name in ("soporte.pdf", "evidencia-interna.pdf", "comprobante-giro.pdf"):
        assert name in page
    assert "Adjuntado por Funcionario.Fondos en «5.2.12 Investigar el caso»" in page
    assert "Adjuntado por Ciudadano 1111111111 en «5.2.5" in page
    assert "Interno: el ciudadano no lo ve" in page
    assert "Enviado al ciudadano con la respuesta" in page
    assert "Radicado por el ciudadano" in page


def test_the_answer_is_a_pdf_letter_with_the_letterhead_radicado_and_date(
    app: Flask, world
) -> None:
    w = work_the_case(app, world)
    for persona in ("ciudadano", "asesor"):
        response = client_for(app, persona).get(f"/respuestas/{w.radicado}.pdf")
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        text = " ".join(
            " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.data)).pages
        )
        assert "ICETEX" in text and "Grupo de Atención al Usuario" in text
        assert f"Radicado: {w.radicado}" in text
        assert "Bogotá D.C., 10 de marzo de 2026" in text  # the answer's date (the test clock)
        assert "la universidad ya lo aplicó" in text
        assert "comprobante-giro.pdf" in text and "borrador-descartado.pdf" not in text


# --- every route that serves a file, found from the app's url_map --------------------------

CASE_DOWNLOADS = {"portal.attachment", "portal.answer_download", "portal.answer_letter"}
# Not case files, but files all the same: the process definitions (studio) and the console's
# exports; they are here so that every route that serves a file has its permissions tested.
DEFINITION_DOWNLOADS = {"studio.raw", "studio.download_version"}
CONSOLE_DOWNLOADS = {"admin.instances", "admin.instance_diagram", "admin.heat_diagram"}
DOWNLOAD_ENDPOINTS = CASE_DOWNLOADS | DEFINITION_DOWNLOADS | CONSOLE_DOWNLOADS
# JSON status for load balancers, no case data (tests/web/test_operations.py checks them).
PROBES = {"ops.healthz", "ops.readyz"}
# Downloads a query string selects (the url_map cannot show them).
QUERY_VARIANTS = {"admin.instances": ["formato=csv"]}


def parameter_values(app: Flask, w: World, name: str) -> list[str]:
    """What to put in each URL parameter. A new route with a parameter not listed here fails
    the test below until someone says how to reach its objects."""
    with app.app_context():
        attachments = [str(i) for i in db.session.scalars(select(Attachment.id))]
        tasks = list(db.session.scalars(select(HumanTask.id).limit(3)))
        deployment = db.session.scalars(select(Deployment)).first()
        instances = [str(i) for i in db.session.scalars(select(ProcessInstance.id).limit(2))]
    values = {
        "attachment_id": attachments,
        "radicado": [w.radicado],
        "task_id": tasks,
        "instance_id": instances,
        "version": [str(deployment.version)],
        "path": ["bpmn/caso_pqrs.bpmn"],
        "token": ["no-existe"],
        "user_id": [str(i) for i in db_user_ids(app)],
        "dia": ["2026-03-20"],
        "process_id": ["caso_pqrs"],
        "job_id": ["1"],  # bulk jobs: none exists, the route must still refuse or 404
        "file_id": ["1"],  # report files: none exists in this world
        "filename": [],  # static files: not case data
    }
    if name not in values:
        pytest.fail(f"no sé con qué valores probar el parámetro <{name}>: añádalos aquí")
    return values[name]


def db_user_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(User.id).where(User.kind == "staff").limit(2)))


def served_a_file(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 200 and (
        "Content-Disposition" in response.headers or response.mimetype != "text/html"
    )


def expected_to_get(persona: str, endpoint: str, w: World, url: str) -> bool:
    """The rule, written out independently of web/access.py."""
    if endpoint in DEFINITION_DOWNLOADS:
        return persona in ("dueno", "admin")
    if endpoint in CONSOLE_DOWNLOADS:
        return persona in ("admin", "coordinador")
    if endpoint == "portal.attachment":
        file = next(k for k, v in w.files.items() if url.endswith(f"/{v}"))
        return persona in CASE_STAFF or (persona == "ciudadano" and file in ("filed", "answer"))
    if endpoint == "portal.answer_download":  # the citizen's plain-text copy
        return persona == "ciudadano"
    if endpoint == "portal.answer_letter":
        return persona == "ciudadano" or persona in CASE_STAFF
    raise AssertionError(endpoint)


def test_every_route_that_serves_a_file_follows_the_policy(app: Flask, world) -> None:
    w = work_the_case(app, world)
    clients = {persona: client_for(app, persona) for persona in PERSONAS}
    serving: set[str] = set()
    checked: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint in PROBES:
            continue
        choices = [parameter_values(app, w, arg) for arg in sorted(rule.arguments)]
        for combination in itertools.product(*choices):
            url = rule.build(dict(zip(sorted(rule.arguments), combination, strict=True)))[1]
            urls = [url] + [f"{url}?{q}" for q in QUERY_VARIANTS.get(rule.endpoint, [])]
            for url, (persona, client) in itertools.product(urls, clients.items()):
                response = client.get(url)
                assert response.status_code < 500, (url, persona)
                if served_a_file(response):
                    serving.add(rule.endpoint)
                    assert rule.endpoint in DOWNLOAD_ENDPOINTS, f"{url} sirve archivos sin prueba"
                if rule.endpoint in DOWNLOAD_ENDPOINTS and (
                    rule.endpoint not in QUERY_VARIANTS or "?" in url
                ):
                    checked.add((rule.endpoint, persona))
                    allowed = expected_to_get(persona, rule.endpoint, w, url)
                    assert served_a_file(response) is allowed, (persona, url, response.status)
    assert serving == DOWNLOAD_ENDPOINTS
    assert checked == {(e, p) for e in DOWNLOAD_ENDPOINTS for p in PERSONAS}

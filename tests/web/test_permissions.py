"""Who may read or act on what: every role against every kind of object, checked server-side.

The world: case A (owner's, with an attachment) was escalated to Fondos and waits at 5.2.11;
case B waits at 5.2.6 for the Asesores. Each row says the status a role gets; "login" means
an anonymous visitor is sent to log in.
"""

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.models import Attachment, Case, HumanTask
from tests.web.conftest import PDF, log_in_citizen, log_in_staff
from web.extensions import db

ROLES = [
    "anonimo",
    "dueno_caso",
    "otro_ciudadano",
    "asesor",
    "funcionario.fondos",
    "funcionario.credito",
    "calidad",
    "admin",
    "coordinador",
    "coordinador.solo",
]

STAFF = {
    "asesor": ["asesor"],
    "funcionario.fondos": ["area_fondos"],
    "funcionario.credito": ["area_credito_cobranza"],
    "calidad": ["agente_calidad"],
    "admin": ["administrador"],
    "coordinador": ["coordinador", "asesor"],
    # A coordinator of no lane: a supervisor, not an administrator; sees no case, no task.
    "coordinador.solo": ["coordinador"],
}

LOGIN = "login"


@dataclass
class Objects:
    case_a: str
    case_b: str
    attachment_a: int
    task_area: str
    task_asesor: str
    asesor_id: int


def _build(app: Flask, world) -> Objects:
    ids = {name: world.staff(name, *groups) for name, groups in STAFF.items()}
    owner = world.citizen("1111111111")
    world.citizen("2222222222")
    case_a = world.file_case(owner)
    world.escalate(case_a, "area_fondos")
    case_b = world.file_case(owner, asunto="Otro asunto")
    with app.app_context():
        case = db.session.scalars(select(Case).where(Case.radicado == case_a)).one()
        attachment = Attachment(
            case_id=case.id,
            uploaded_by_id=owner,
            filename="a.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
            content=PDF,
            uploaded_at=case.filed_at,
            visibility="ciudadano",  # filed by the citizen
        )
        db.session.add(attachment)
        db.session.commit()
        attachment_id = attachment.id
        db.session.scalars(select(HumanTask)).all()
    return Objects(
        case_a,
        case_b,
        attachment_id,
        world.open_task_id(case_a, "ut_5_2_11"),
        world.open_task_id(case_b, "ut_5_2_6"),
        ids["asesor"],
    )


def _client_for(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    if role == "dueno_caso":
        log_in_citizen(client, "1111111111")
    elif role == "otro_ciudadano":
        log_in_citizen(client, "2222222222")
    elif role != "anonimo":
        log_in_staff(client, role)
    return client


def _expect(row: dict[str, object], role: str) -> object:
    return row.get(role, row["*"])


MATRIX = {
    # object/action: {role: expected status, "*": default}
    "caso_portal_leer": {"anonimo": LOGIN, "dueno_caso": 200, "otro_ciudadano": 404, "*": 403},
    "caso_funcionario_leer": {
        "anonimo": LOGIN,
        "dueno_caso": 403,
        "otro_ciudadano": 403,
        "asesor": 200,
        "funcionario.fondos": 200,
        "admin": 200,
        "coordinador": 200,
        "*": 404,
    },
    "adjunto_descargar": {
        "anonimo": LOGIN,
        "dueno_caso": 200,
        "otro_ciudadano": 404,
        "asesor": 200,
        "funcionario.fondos": 200,
        "admin": 200,
        "coordinador": 200,
        "*": 404,
    },
    "tarea_leer": {
        "anonimo": LOGIN,
        "dueno_caso": 403,
        "otro_ciudadano": 403,
        "funcionario.fondos": 200,
        "*": 404,
    },
    "tarea_tomar": {
        "anonimo": LOGIN,
        "dueno_caso": 403,
        "otro_ciudadano": 403,
        "funcionario.fondos": 302,
        "*": 404,
    },
    "tarea_completar": {
        "anonimo": LOGIN,
        "dueno_caso": 403,
        "otro_ciudadano": 403,
        "funcionario.fondos": 302,
        "*": 404,
    },
    "bandeja_leer": {"anonimo": LOGIN, "dueno_caso": 403, "otro_ciudadano": 403, "*": 200},
    "reasignar_supervisor": {
        "anonimo": LOGIN,
        "admin": 302,
        "coordinador": 302,
        "coordinador.solo": 404,  # a task they may not see is not theirs to reassign
        "*": 403,
    },
}


def _request(client: FlaskClient, action: str, objects: Objects):  # type: ignore[no-untyped-def]
    if action == "caso_portal_leer":
        return client.get(f"/mis-casos/{objects.case_a}")
    if action == "caso_funcionario_leer":
        return client.get(f"/bandeja/casos/{objects.case_a}")
    if action == "adjunto_descargar":
        return client.get(f"/adjuntos/{objects.attachment_a}")
    if action == "tarea_leer":
        return client.get(f"/bandeja/tareas/{objects.task_area}")
    if action == "tarea_tomar":
        return client.post(f"/bandeja/tareas/{objects.task_area}/tomar")
    if action == "tarea_completar":
        return client.post(
            f"/bandeja/tareas/{objects.task_area}",
            data={"es_de_mi_area": "true", "analisis_area": "Es del área."},
        )
    if action == "bandeja_leer":
        return client.get("/bandeja/")
    if action == "reasignar_supervisor":
        return client.post(
            f"/bandeja/tareas/{objects.task_asesor}/reasignar", data={"asignado": objects.asesor_id}
        )
    raise AssertionError(action)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(MATRIX))
def test_permission_matrix(app: Flask, world, role: str, action: str) -> None:
    objects = _build(app, world)
    client = _client_for(app, role)
    response = _request(client, action, objects)
    expected = _expect(MATRIX[action], role)
    if expected == LOGIN:
        assert response.status_code == 302
        assert "/cuenta/" in response.headers["Location"]
    else:
        assert response.status_code == expected, (role, action, response.status_code)
        if expected == 302:
            assert "/cuenta/" not in response.headers["Location"]


def test_downloads_are_attachments_with_nosniff(app: Flask, world) -> None:
    objects = _build(app, world)
    client = _client_for(app, "dueno_caso")
    response = client.get(f"/adjuntos/{objects.attachment_a}")
    assert response.headers["Content-Disposition"] == 'attachment; filename="a.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"
    assert response.data == PDF

"""The citizen's reply to an information request (portal) and the interim date (5.2.14):
who may answer, bad input in Spanish, one transaction."""

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.models import Attachment, HumanTask
from tests.web.conftest import PDF, log_in_citizen, log_in_staff, upload
from web.extensions import db

ASK = "Envíenos el certificado de matrícula del semestre para verificar el giro."


def _waiting_case(world):
    """A case whose citizen was asked for information; and its legal term before the ask."""
    world.staff("asesor", "asesor")
    owner = world.citizen("1111111111")
    world.citizen("2222222222")
    radicado = world.file_case(owner)
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": False})
    world.complete(
        radicado, "ut_5_2_7", "asesor", {"complejidad": "baja", "analisis": "Falta un soporte."}
    )
    world.complete(
        radicado,
        "ut_5_2_8",
        "asesor",
        {"escalar": False, "justificacion_escalamiento": "Responde el Asesor."},
    )
    legal_due = world.case(radicado).legal_due
    world.complete(
        radicado,
        "ut_5_2_14",
        "asesor",
        {"plantilla": "solicitud_de_informacion", "respuesta": ASK},
    )
    return radicado, legal_due


def test_only_the_owner_may_answer(app: Flask, world) -> None:
    radicado, _ = _waiting_case(world)
    path = f"/mis-casos/{radicado}/informacion"
    anonymous = app.test_client()
    assert anonymous.get(path).status_code == 302
    other = app.test_client()
    log_in_citizen(other, "2222222222")
    assert other.get(path).status_code == 404
    assert other.post(path, data={"informacion": "Respondo por otra persona."}).status_code == 404
    staff = app.test_client()
    log_in_staff(staff, "asesor")
    assert staff.get(path).status_code == 403
    owner = app.test_client()
    log_in_citizen(owner, "1111111111")
    page = owner.get(path)
    assert page.status_code == 200 and ASK in page.get_data(as_text=True)
    assert world.case(radicado).status == "esperando_usuario"


def test_the_reply_with_a_file_moves_the_term_in_one_commit(
    app: Flask, client: FlaskClient, world, clock
) -> None:
    radicado, legal_due = _waiting_case(world)
    clock.advance(timedelta(days=7))  # Tue 10 -> Tue 17 March: five business days
    log_in_citizen(client, "1111111111")
    response = client.post(
        f"/mis-casos/{radicado}/informacion",
        data={
            "informacion": "Adjunto el certificado de matrícula.",
            "adjuntos_informacion": [upload(PDF, "certificado.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    after = world.case(radicado)
    with app.app_context():
        calendar = world.engine().calendar
        assert after.legal_due == calendar.add_business_days(legal_due, 5)
        files = db.session.scalars(select(Attachment).where(Attachment.case_id == after.id))
        assert [a.filename for a in files] == ["certificado.pdf"]
        open_steps = db.session.scalars(
            select(HumanTask.bpmn_id).where(
                HumanTask.case_id == after.id, HumanTask.state == "open"
            )
        ).all()
    assert open_steps == ["ut_5_2_14"] and after.suspended_days == 5
    # The form is gone once answered: the page sends the citizen back to the case.
    again = client.get(f"/mis-casos/{radicado}/informacion")
    assert again.status_code == 302


def test_an_empty_reply_is_refused_in_spanish_and_nothing_changes(
    app: Flask, client: FlaskClient, world
) -> None:
    radicado, _ = _waiting_case(world)
    log_in_citizen(client, "1111111111")
    response = client.post(
        f"/mis-casos/{radicado}/informacion",
        data={"informacion": "corto", "adjuntos_informacion": [upload(b"MZ\x90\x00", "x.exe")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Hay problemas en el formulario" in response.get_data(as_text=True)
    response = client.post(f"/mis-casos/{radicado}/informacion", data={"informacion": "corto"})
    assert response.status_code == 400
    assert "al menos 10 caracteres" in response.get_data(as_text=True)
    case = world.case(radicado)
    assert case.status == "esperando_usuario" and case.suspended_days == 0
    with app.app_context():
        assert db.session.scalars(select(Attachment)).all() == []


def test_a_refused_interim_date_keeps_what_the_asesor_wrote(
    app: Flask, client: FlaskClient, world
) -> None:
    world.staff("asesor", "asesor")
    radicado = world.file_case(world.citizen("1111111111"))
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": False})
    world.complete(
        radicado,
        "ut_5_2_7",
        "asesor",
        {"complejidad": "baja", "analisis": "Caso simple, sin escalar."},
    )
    world.complete(
        radicado,
        "ut_5_2_8",
        "asesor",
        {"escalar": False, "justificacion_escalamiento": "Responde el Asesor."},
    )
    task = world.open_task_id(radicado, "ut_5_2_14")
    log_in_staff(client, "asesor")
    text = "Le daremos respuesta de fondo cuando el área de fondos confirme el giro."
    response = client.post(
        f"/bandeja/tareas/{task}?plantilla=informar_fecha_respuesta",
        data={
            "plantilla": "informar_fecha_respuesta",
            "respuesta": text,
            "fecha_respuesta": "2026-05-30",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "no puede superar el término legal (01/04/2026)" in page
    assert text in page and 'value="2026-05-30"' in page
    assert world.case(radicado).first_response_at is None

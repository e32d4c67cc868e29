"""Who reads the weekly audits: the audit's lanes open the sampled cases (read-only) and the
report's PDF; the OCM starts an audit for a past week, once per week."""

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine import audits
from engine.models import Event, HumanTask, OutboxMessage, ProcessInstance, User
from engine.runtime import Engine
from tests.web.conftest import World, log_in_citizen, log_in_staff
from web.extensions import db

LANES = ("profesional", "jefe", "gerente", "comite")


@pytest.fixture
def audited(app: Flask, world: World) -> dict[str, str]:
    for username, group in (
        ("profesional", "profesional_ocm"),
        ("jefe", "jefe_ocm"),
        ("gerente", "gerente_outsourcing"),
        ("comite", "comite_calidad"),
        ("asesor", "asesor"),
        ("admin", "administrador"),
    ):
        world.staff(username, group)
    citizen = world.citizen()
    sampled = world.file_case(citizen, asunto="Caso de la muestra")
    other = world.file_case(citizen, asunto="Caso fuera de la muestra")
    with app.app_context():
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        instance, _ = audits.start_for_week(world.engine(), date(2026, 3, 4), admin.id)
        audit = audits.record_sample(
            db.session,
            instance.id,
            audits.period_covering("R/2026-01-05T07:00:00-05:00/P1W", date(2026, 3, 4)),
            {
                "muestra": [sampled],
                "desde": "2026-03-02T12:00:00+00:00",
                "hasta": "2026-03-09T12:00:00+00:00",
                "poblacion": 1,
                "confianza": 0.95,
                "margen_error": 0.1,
                "estratos": {"reclamo": {"poblacion": 1, "muestra": 1}},
            },
            app.extensions["clock"].now(),
        )
        audit.pdf = b"%PDF-1.4 informe"
        db.session.commit()
        return {"sampled": sampled, "other": other, "instance": str(instance.id)}


def staff_client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    log_in_staff(client, username)
    return client


@pytest.mark.parametrize("username", LANES)
def test_the_audit_lanes_open_a_sampled_case_read_only_and_no_other(app, audited, username):
    client = staff_client(app, username)
    page = client.get(f"/bandeja/casos/{audited['sampled']}")
    assert page.status_code == 200
    assert "Prorrogar" not in page.get_data(as_text=True)
    assert client.get(f"/bandeja/casos/{audited['other']}").status_code == 404
    refused = client.post(
        f"/bandeja/casos/{audited['sampled']}/prorroga",
        data={"dias": "5", "motivos": "Intento de prórroga desde la auditoría."},
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [*((lane, True) for lane in LANES), ("admin", True), ("asesor", False), ("ciudadano", False)],
)
def test_the_report_pdf_and_page_are_for_the_audit_lanes(app, audited, persona, allowed):
    client = app.test_client()
    if persona == "ciudadano":
        log_in_citizen(client)
    else:
        log_in_staff(client, persona)
    pdf = client.get(f"/auditorias/{audited['instance']}/informe.pdf")
    page = client.get(f"/auditorias/{audited['instance']}")
    assert (pdf.status_code, page.status_code) == ((200, 200) if allowed else (403, 403))
    if allowed:
        assert pdf.headers["Content-Disposition"].startswith("attachment")
        assert pdf.data.startswith(b"%PDF")
        assert "semana del 2 mar al 8 mar 2026" in page.get_data(as_text=True)


def test_an_audit_starts_for_a_chosen_past_week_once(app, audited):
    client = staff_client(app, "jefe")
    answer = client.post(
        "/auditorias/iniciar", data={"semana": "2026-02-25"}, follow_redirects=True
    )
    assert "Se inició la auditoría" in answer.get_data(as_text=True)
    again = client.post("/auditorias/iniciar", data={"semana": "2026-02-23"}, follow_redirects=True)
    assert "Esa semana ya tiene su auditoría." in again.get_data(as_text=True)
    with app.app_context():
        key = "auditoria_calidad@2026-03-02T12:00:00+00:00"
        started = db.session.scalars(
            select(ProcessInstance).where(ProcessInstance.business_key == key)
        ).all()
        assert len(started) == 1
        by = db.session.scalar(
            select(User.username)
            .join(Event, Event.actor_id == User.id)
            .where(Event.instance_id == started[0].id, Event.kind == "started")
        )
        assert by == "jefe"
    listed = client.get("/auditorias/").get_data(as_text=True)
    assert "Auditoría de la semana del 23 feb al 1 mar 2026" in listed
    assert "Tomando la muestra" in listed


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-03-11", "Esa semana aún no ha terminado; elija una semana pasada."),
        ("ayer", "Elija un día de la semana que quiere auditar (AAAA-MM-DD)."),
        ("2025-06-01", "Esa semana es anterior al inicio de las auditorías."),
    ],
)
def test_an_audit_for_a_week_not_over_or_a_bad_date_is_refused_in_spanish(
    app, audited, value, message
):
    client = staff_client(app, "profesional")
    answer = client.post("/auditorias/iniciar", data={"semana": value}, follow_redirects=True)
    assert answer.status_code == 200
    assert message in answer.get_data(as_text=True)


def test_only_the_ocm_and_administrators_start_audits(app, audited):
    for username in ("gerente", "comite", "asesor"):
        client = staff_client(app, username)
        assert client.post("/auditorias/iniciar", data={"semana": "2026-02-25"}).status_code == 403


def f182_task(app: Flask, instance_id: str) -> str:
    with app.app_context():
        return db.session.scalars(
            select(HumanTask.id).where(
                HumanTask.instance_id == int(instance_id), HumanTask.state == "open"
            )
        ).one()


def test_a_chat_case_opens_its_f182_with_the_chat_section_to_score(app, audited):
    """The sample's facts say the case came through chat: the Chat section is asked for."""
    facts = {
        "radicado": audited["sampled"],
        "canal": "chat",
        "tipo": "Reclamo",
        "servicio": "Fondos en administración",
        "area": "Sin escalamiento",
        "fecha_ingreso": "2026-03-03T09:00-05:00",
        "cedula": "1012345678",
        "fecha_hora_primera_respuesta": "2026-03-03T09:20-05:00",
        "respuesta_en_24h": True,
        "fecha_hora_respuesta": "2026-03-05T10:00-05:00",
        "respuesta_en_termino": True,
        "veces_registrado_crm": 4,
        "funcionario_responsable": "Asesor",
        "texto_respuesta": "Respuesta dada por chat y confirmada por correo.",
        "incluye_chat": True,
    }
    with app.app_context():
        eng = Engine(db.session, app.extensions["clock"])
        message = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.instance_id == int(audited["instance"]),
                OutboxMessage.operation == "audit_sample",
            )
        ).one()
        eng.complete_service(
            message.id, {"muestra": [audited["sampled"]], "fichas": {audited["sampled"]: facts}}
        )
        db.session.commit()
    task_id = f182_task(app, audited["instance"])
    client = staff_client(app, "profesional")
    page = client.get(f"/bandeja/tareas/{task_id}").get_data(as_text=True)
    assert "Canal de ingreso:</strong> Chat" in page
    assert "Chat: tiempo de espera (minutos)" in page
    judged = {
        "agente_efectivo": "true",
        "calidad_redaccion_ortografia": "alta",
        "observaciones": "Atención correcta.",
    }
    refused = client.post(f"/bandeja/tareas/{task_id}", data=judged)
    assert refused.status_code == 400  # the Chat section is required for a chat case
    assert "Chat: tiempo de espera (minutos)" in refused.get_data(as_text=True)
    chat = {
        "chat_registro_usuario": "Consulta por el giro del semestre.",
        "chat_tiempo_espera_min": "12",
        "chat_respuesta_efectiva": "true",
        "chat_calidad_redaccion_ortografia": "alta",
        "chat_registrado_crm": "true",
        "chat_comportamiento_historico_crm": "Sin casos anteriores.",
    }
    done = client.post(f"/bandeja/tareas/{task_id}", data={**judged, **chat})
    assert done.status_code == 302
    with app.app_context():
        data = db.session.scalar(
            select(Event.data)
            .where(Event.instance_id == int(audited["instance"]), Event.bpmn_id == "ut_5_2_18")
            .order_by(Event.id.desc())
        )
    assert data["chat_tiempo_espera_min"] == 12
    assert data["chat_identificacion"] == "1012345678"  # prefilled from the case record
    assert data["veces_registrado_crm"] == 4  # the record's count, read-only


def test_the_audit_page_says_which_step_is_open_and_links_it_for_its_group(app, audited):
    """Where the audit stands: the open step and its group; a link only for who works on it."""
    with app.app_context():
        eng = Engine(db.session, app.extensions["clock"])
        sample = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.instance_id == int(audited["instance"]),
                OutboxMessage.operation == "audit_sample",
            )
        ).one()
        eng.complete_service(sample.id, {"muestra": [audited["sampled"]], "fichas": {}})
        db.session.commit()
        task = db.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == int(audited["instance"]), HumanTask.state == "open"
            )
        ).first()
    assert task is not None and task.candidate_group == "profesional_ocm"
    link = f'href="/bandeja/tareas/{task.id}"'
    mine = staff_client(app, "profesional").get(f"/auditorias/{audited['instance']}")
    text = mine.get_data(as_text=True)
    assert "Paso actual" in text and task.name in text and "(Profesional OCM)" in text
    assert link in text
    other = staff_client(app, "jefe").get(f"/auditorias/{audited['instance']}")
    text = other.get_data(as_text=True)
    assert task.name in text and link not in text


def test_a_week_without_answered_cases_ends_with_a_note_and_no_steps(app, audited):
    """The diagram's «¿Hay casos en la muestra?» ends an empty week's audit: the page says so
    and nobody is handed 5.2.18 or 5.2.19."""
    with app.app_context():
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        engine = Engine(db.session, app.extensions["clock"])
        instance, _ = audits.start_for_week(engine, date(2026, 2, 25), admin.id)
        empty = {
            "muestra": [],
            "desde": "2026-02-23T12:00:00+00:00",
            "hasta": "2026-03-02T12:00:00+00:00",
            "poblacion": 0,
            "confianza": 0.95,
            "margen_error": 0.1,
            "estratos": {},
        }
        now = app.extensions["clock"].now()
        audits.record_sample(db.session, instance.id, now, empty, now)
        message = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.instance_id == instance.id, OutboxMessage.status == "pending"
            )
        ).one()
        engine.complete_service(message.id, empty)
        db.session.commit()
        instance_id = instance.id
        assert db.session.get(ProcessInstance, instance_id).status == "completed"
    page = staff_client(app, "profesional").get(f"/auditorias/{instance_id}")
    text = page.get_data(as_text=True)
    assert "Sin casos respondidos en la semana" in text and "Paso actual" not in text

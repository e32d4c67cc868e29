"""Claiming, releasing and reassigning tasks, the inbox, incidents and instance control."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import inbox
from engine.errors import DefinitionInvalid, EngineError, NotAllowed, TaskConflict
from engine.models import Incident, OutboxMessage, ProcessInstance
from engine.runtime import Engine
from tests import factories as f


@pytest.fixture
def desk(session, clock):
    return f.desk(
        session,
        clock,
        {
            "ana": ("ana", "asesor"),
            "beto": ("beto", "asesor"),
            "fondos": ("fondos", "area_fondos"),
            "coord": ("coord", "coordinador"),
            "admin": ("admin", "administrador"),
        },
    )


def first_task(engine, people):
    case = f.file_case(engine, people["citizen"])
    return case, f.open_task(engine.session, case.id, "ut_5_2_6")


def test_a_claimed_task_moves_from_the_group_inbox_to_mine(desk, clock):
    engine, people = desk
    _, task = first_task(engine, people)
    now = clock.now()
    assert inbox.list_tasks(engine.session, people["ana"], now, scope="group").total == 1
    assert inbox.list_tasks(engine.session, people["fondos"], now, scope="group").total == 0
    engine.claim(task.id, people["ana"])
    assert [
        t.id for t in inbox.list_tasks(engine.session, people["ana"], now, scope="mine").items
    ] == [task.id]
    with pytest.raises(TaskConflict):
        engine.claim(task.id, people["beto"])
    with pytest.raises(NotAllowed):
        engine.complete_task(task.id, people["beto"], {"es_felicitacion": False})
    with pytest.raises(NotAllowed):
        engine.release(task.id, people["beto"])
    engine.release(task.id, people["ana"])
    engine.claim(task.id, people["beto"])


def test_only_a_supervisor_reassigns_and_only_within_the_group(desk):
    engine, people = desk
    _, task = first_task(engine, people)
    with pytest.raises(NotAllowed):
        engine.reassign(task.id, people["ana"], people["beto"].id)
    with pytest.raises(NotAllowed):
        engine.reassign(task.id, people["coord"], people["fondos"].id)
    engine.reassign(task.id, people["coord"], people["beto"].id)
    assert task.assignee_id == people["beto"].id


def test_people_outside_the_group_cannot_see_or_complete_a_task(desk):
    engine, people = desk
    _, task = first_task(engine, people)
    for outsider in ("fondos", "citizen", "coord"):
        with pytest.raises(NotAllowed):
            engine.task_view(task.id, people[outsider])
        with pytest.raises(NotAllowed):
            engine.complete_task(task.id, people[outsider], {"es_felicitacion": False})


def test_inbox_filters_sort_by_due_date_and_page(desk, clock):
    engine, people = desk
    for hours in range(5):
        f.file_case(engine, people["citizen"], tipo="queja" if hours % 2 else "reclamo")
        clock.advance(timedelta(hours=1))
    now = clock.now()
    page = inbox.list_tasks(engine.session, people["ana"], now, per_page=2)
    assert (page.total, page.pages, len(page.items)) == (5, 3, 2)
    dues = [t.due_at for t in inbox.list_tasks(engine.session, people["ana"], now).items]
    assert dues == sorted(dues)
    quejas = inbox.list_tasks(engine.session, people["ana"], now, request_type="queja")
    assert quejas.total == 2
    clock.advance(timedelta(hours=21))
    overdue = inbox.list_tasks(engine.session, people["ana"], clock.now(), overdue=True)
    assert overdue.total == 2  # the first two passed their 24 h first-response deadline


def test_form_data_outside_the_form_never_reaches_the_process(desk):
    engine, people = desk
    case, task = first_task(engine, people)
    engine.complete_task(
        task.id, people["ana"], {"es_felicitacion": False, "caso": "x", "radicado": "X"}
    )
    view = engine.task_view(f.open_task(engine.session, case.id, "ut_5_2_7").id, people["ana"])
    assert view.data["radicado"] == case.radicado and "caso" not in view.data


def test_a_failed_service_becomes_an_incident_and_an_admin_retry_runs_it_again(desk):
    engine, people = desk
    case = f.file_case(engine, people["citizen"])
    ack = f.pending(engine.session)[0]
    incident = engine.fail_service(ack.id, "SMTP 421: servicio no disponible")
    instance = engine.session.get(ProcessInstance, incident.instance_id)
    assert instance.has_incident and ack.status == "failed"
    # The rest of the case goes on meanwhile.
    assert f.open_tasks(engine.session, case.id) == ["ut_5_2_6"]
    with pytest.raises(NotAllowed):
        engine.retry_incident(incident.id, people["ana"])
    message = engine.retry_incident(incident.id, people["admin"])
    assert message.status == "pending" and not instance.has_incident
    assert f.complete_services(engine) == ["notify:acuse"]
    with pytest.raises(TaskConflict):
        engine.retry_incident(incident.id, people["admin"])


def test_work_of_no_instance_fails_without_an_incident(session, clock):
    engine = Engine(session, clock)
    mail = OutboxMessage(
        key="cuenta:verificacion:1",
        operation="account_mail",
        params={"plantilla": "verificar_correo", "para": "x@example.com"},
        status="pending",
        created_at=clock.now(),
    )
    session.add(mail)
    session.flush()
    assert engine.fail_service(mail.id, "El servidor de correo rechazó a x@example.com") is None
    assert mail.status == "failed" and mail.last_error.startswith("El servidor")
    assert session.scalars(select(Incident)).all() == []
    engine.complete_service(mail.id, {"enviado": True})  # a late success is recorded too
    assert mail.status == "done"


def test_an_admin_can_skip_a_failed_service_with_a_result(desk):
    engine, people = desk
    case = f.file_case(engine, people["citizen"])
    f.complete_services(engine)
    engine.complete_task(
        f.open_task(engine.session, case.id, "ut_5_2_6").id,
        people["ana"],
        {"es_felicitacion": False},
    )
    engine.complete_task(
        f.open_task(engine.session, case.id, "ut_5_2_7").id,
        people["ana"],
        {"complejidad": "baja", "analisis": "Consulta sencilla de saldo."},
    )
    lookup = f.pending(engine.session)[0]
    incident = engine.fail_service(lookup.id, "COBOL: tiempo de espera agotado")
    engine.skip_incident(
        incident.id, people["admin"], {"sistemas": {}, "nota": "consultado a mano"}
    )
    assert f.open_tasks(engine.session, case.id) == ["ut_5_2_8"]
    assert engine.session.get(OutboxMessage, lookup.id).status == "skipped"


def test_a_redelivered_service_result_changes_nothing(desk):
    engine, people = desk
    case = f.file_case(engine, people["citizen"])
    ack = f.pending(engine.session)[0]
    engine.complete_service(ack.id, {"enviado": True})
    engine.complete_service(ack.id, {"enviado": True})
    assert f.open_tasks(engine.session, case.id) == ["ut_5_2_6"]


def test_a_suspended_instance_takes_no_work_until_resumed(desk):
    engine, people = desk
    case, task = first_task(engine, people)
    instance = engine.session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == case.id)
    ).one()
    with pytest.raises(NotAllowed):
        engine.suspend(instance.id, people["ana"])
    engine.suspend(instance.id, people["admin"])
    with pytest.raises(NotAllowed):
        engine.complete_task(task.id, people["ana"], {"es_felicitacion": False})
    engine.resume(instance.id, people["admin"])
    engine.complete_task(task.id, people["ana"], {"es_felicitacion": False})
    engine.cancel(instance.id, people["admin"])
    assert f.open_tasks(engine.session, case.id) == []


def test_prorroga_is_granted_once_with_reasons_and_at_most_double(desk, clock):
    engine, people = desk
    case = f.file_case(engine, people["citizen"])
    with pytest.raises(EngineError, match="superar el término inicial"):
        engine.extend_deadline(case.id, people["ana"], 16, "Falta información del área.")
    with pytest.raises(EngineError, match="motivos"):
        engine.extend_deadline(case.id, people["ana"], 5, "  ")
    with pytest.raises(NotAllowed):
        engine.extend_deadline(case.id, people["fondos"], 5, "Falta información.")
    engine.extend_deadline(case.id, people["ana"], 15, "Falta información del área.")
    with pytest.raises(EngineError, match="una vez"):
        engine.extend_deadline(case.id, people["ana"], 1, "Otra vez.")


def test_a_diagram_that_tries_to_run_code_is_refused_at_deployment(desk):
    engine, _ = desk
    files = f.bundle_files()
    files["bpmn/caso_pqrs.bpmn"] = files["bpmn/caso_pqrs.bpmn"].replace(
        "revisar_calidad = en_muestra(radicado, porcentaje_revision)",
        "revisar_calidad = __import__('os').system('touch /tmp/pwned-av')",
    )
    with pytest.raises(DefinitionInvalid) as error:
        engine.deploy(files)
    assert any(p.element_id == "sc_sorteo" and p.line for p in error.value.problems)


def test_a_timer_path_that_fails_records_an_incident_and_waits_for_an_admin(desk, clock):
    engine, people = desk
    files = f.bundle_files()
    files["bpmn/caso_pqrs.bpmn"] = files["bpmn/caso_pqrs.bpmn"].replace(
        "caso['primera_respuesta_en'] is None", "caso['no_existe'] is None", 1
    )
    engine.deploy(files)
    case = f.file_case(engine, people["citizen"])
    clock.advance(timedelta(hours=21))
    engine.fire_due_timers()
    incident = engine.session.scalars(select(Incident)).one()
    assert "no_existe" in incident.error
    assert engine.fire_due_timers() == 0  # parked, not retried in a loop
    assert f.open_tasks(engine.session, case.id) == ["ut_5_2_6"]
    engine.retry_incident(incident.id, people["admin"])  # runs the failed condition again
    again = engine.session.scalars(select(Incident).where(Incident.resolved_at.is_(None))).one()
    assert again.id != incident.id and again.bpmn_id == incident.bpmn_id
    assert "no_existe" in again.error

"""The administrators' console: who may use it, finding instances, and the actions with reasons."""

import re

import pytest
from flask import Flask
from sqlalchemy import select

from engine.models import Event, Incident, OutboxMessage, ProcessInstance
from engine.run import new_event
from tests.web.conftest import log_in_citizen, log_in_staff
from web.extensions import db


def instance_of(app: Flask, radicado: str) -> ProcessInstance:
    with app.app_context():
        instance = db.session.scalars(
            select(ProcessInstance).where(ProcessInstance.business_key == radicado)
        ).one()
        db.session.expunge(instance)
        return instance


def routes(app: Flask, instance_id: int, incident_id: int) -> list[tuple[str, str]]:
    found = []
    # The search, instance and status actions; the rest: tests/web/test_console_permissions.py.
    first = {"instances", "instance", "instance_diagram", "change_status", "retry", "skip"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.removeprefix("admin.") not in first:
            continue
        if app.view_functions[rule.endpoint].__module__ != "web.admin.views":
            continue  # the dashboard, people and closures: tests/web/test_console_watch.py
        url = (
            rule.rule.replace("<int:instance_id>", str(instance_id))
            .replace("<int:incident_id>", str(incident_id))
            .replace("<accion>", "suspender")
        )
        found += [(method, url) for method in rule.methods - {"HEAD", "OPTIONS"}]
    return sorted(found)


def failed_case(app: Flask, world) -> tuple[str, int, int]:
    """A filed case whose acknowledgement e-mail failed: (radicado, instance id, incident id)."""
    radicado = world.file_case(world.citizen())
    with app.app_context():
        eng = world.engine()
        instance = db.session.scalars(
            select(ProcessInstance).where(ProcessInstance.business_key == radicado)
        ).one()
        message = OutboxMessage(
            key=f"prueba:{instance.id}",
            instance_id=instance.id,
            operation="notify",
            params={"plantilla": "acuse"},
            status="pending",
            created_at=app.extensions["clock"].now(),
        )
        db.session.add(message)
        db.session.flush()
        incident = eng.fail_service(message.id, "SMTP 421: servicio no disponible")
        db.session.commit()
        return radicado, instance.id, incident.id


@pytest.fixture
def failed(app: Flask, world) -> tuple[str, int, int]:
    return failed_case(app, world)


def test_only_administrators_act_and_coordinators_read(app: Flask, world, failed) -> None:
    _, instance_id, incident_id = failed
    world.staff("admin", "administrador")
    world.staff("coordinador", "coordinador")
    world.staff("asesor", "asesor")
    all_routes = routes(app, instance_id, incident_id)
    assert len(all_routes) >= 6
    for username, allowed in (("coordinador", {"GET"}), ("asesor", set())):
        client = app.test_client()
        log_in_staff(client, username)
        for method, url in all_routes:
            response = client.get(url) if method == "GET" else client.post(url, data={})
            expected = (200,) if method in allowed else (403,)
            assert response.status_code in expected, (username, method, url)
    citizen = app.test_client()
    world.citizen("52999000")
    log_in_citizen(citizen, "52999000")
    for method, url in all_routes:
        response = citizen.get(url) if method == "GET" else citizen.post(url)
        assert response.status_code == 403, (method, url)


def test_search_finds_by_radicado_document_status_and_step(app: Flask, world, failed) -> None:
    radicado, _, _ = failed
    other = world.file_case(world.citizen("80111222", full_name="Marta Gómez"))
    world.staff("admin", "administrador")
    client = app.test_client()
    log_in_staff(client, "admin")

    def found(**query) -> str:
        return client.get("/consola/", query_string=query).get_data(as_text=True)

    assert radicado in found(q=radicado) and other not in found(q=radicado)
    assert other in found(q="80111222") and radicado not in found(q="80111222")
    assert other in found(q="gómez")
    incident_page = found(estado="incident")
    assert radicado in incident_page and other not in incident_page
    assert "1 instancia encontrada" in incident_page
    assert radicado in found(paso="ut_5_2_6") and other in found(paso="ut_5_2_6")
    assert radicado not in found(paso="ut_5_2_7")
    assert client.get("/consola/?desde=ayer").status_code == 400
    exported = client.get("/consola/", query_string={"estado": "incident", "formato": "csv"})
    assert exported.mimetype == "text/csv"
    text = exported.get_data(as_text=True)
    assert radicado in text and other not in text and "Con incidente" not in text


def test_the_instance_page_shows_where_the_case_is_in_spanish(app: Flask, world, failed) -> None:
    radicado, instance_id, _ = failed
    world.staff("admin", "administrador")
    client = app.test_client()
    log_in_staff(client, "admin")
    page = client.get(f"/consola/instancias/{instance_id}").get_data(as_text=True)
    assert radicado in page and "Revisar" in page and "SMTP 421" in page
    assert "ut_5_2_6" in page  # in the diagram marks, for the viewer
    assert "task_completed" not in page and "running" not in page.split("data-marks")[0]
    assert "Correo" in page and "Completó la tarea" in page
    diagram = client.get(f"/consola/instancias/{instance_id}/diagrama.bpmn")
    assert diagram.mimetype == "application/xml" and b"caso_pqrs" in diagram.data


def test_actions_need_a_reason_and_are_logged_with_it(app: Flask, world, failed) -> None:
    _, instance_id, incident_id = failed
    world.staff("admin", "administrador")
    client = app.test_client()
    log_in_staff(client, "admin")
    refused = client.post(f"/consola/instancias/{instance_id}/suspender", data={"motivo": "x"})
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Escriba el motivo" in page
    assert instance_of(app, instance_of_key(app, instance_id)).status == "running"

    reason = "Revisión de datos con el área jurídica"
    client.post(f"/consola/instancias/{instance_id}/suspender", data={"motivo": reason})
    client.post(f"/consola/instancias/{instance_id}/reanudar", data={"motivo": reason})
    client.post(
        f"/consola/incidentes/{incident_id}/omitir",
        data={"motivo": "Se envió el acuse a mano", "resultado": '{"enviado": true}'},
    )
    with app.app_context():
        logged = db.session.scalars(
            select(Event).where(Event.instance_id == instance_id).order_by(Event.id)
        ).all()
        kinds = [(e.kind, (e.data or {}).get("motivo")) for e in logged]
        assert ("suspended", reason) in kinds and ("running", reason) in kinds
        assert ("skipped", "Se envió el acuse a mano") in kinds
        assert db.session.get(Incident, incident_id).resolution == "skipped"
        assert db.session.get(ProcessInstance, instance_id).status == "running"


def instance_of_key(app: Flask, instance_id: int) -> str:
    with app.app_context():
        return db.session.get(ProcessInstance, instance_id).business_key


def test_the_history_reads_in_spanish_without_technical_strings(app: Flask, world, failed) -> None:
    """Version moves by name; a mail by its template's name, without its message id; a step's
    form values as the form offers them (an audit's F182, whose history shows every value)."""
    _, instance_id, _ = failed
    world.staff("admin", "administrador")
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        at = app.extensions["clock"].now()
        mail = {"plantilla": "asignacion", "message_id": "<av.42@icetex.test>", "enviado": True}
        db.session.add_all(
            [
                new_event(instance, at, "migrated", label="v1 → v2", data={"version_nueva": 2}),
                new_event(instance, at, "migration_refused", label="v3", data={"motivo": "x"}),
                new_event(instance, at, "service_completed", data=mail, bpmn_id="st_asignacion"),
                new_event(instance, at, "hito", label="respuesta_area", bpmn_id="ut_5_2_13"),
            ]
        )
        audit = world.engine().start("auditoria_calidad", {"periodo": at.isoformat()}, "a@1")
        f182 = {"calidad_redaccion_ortografia": "media", "agente_efectivo": True}
        db.session.add(new_event(audit, at, "task_completed", data=f182, bpmn_id="ut_5_2_18"))
        db.session.commit()
        audit_id = audit.id
    client = app.test_client()
    log_in_staff(client, "admin")
    page = client.get(f"/consola/instancias/{instance_id}").get_data(as_text=True)
    history = page.split("Historial</h2>")[1]
    assert "Movida a otra versión" in history and "No se pudo mover de versión" in history
    assert "migrat" not in history
    assert "Correo: Aviso de asignación" in history and "asignacion" not in history
    assert "av.42@icetex.test" not in page and "message" not in history
    assert "Correo (Acuse de recibo)" in page  # the outbox names the template too
    assert "Hito registrado</strong>: Respuesta del área" in history
    assert "Respuesta area" not in history
    page = client.get(f"/consola/instancias/{audit_id}").get_data(as_text=True)
    assert "Nivel de calidad en redacción y ortografía: Media: errores menores" in page
    assert "calidad redaccion ortografia" not in page


def test_the_step_filter_lists_the_steps_in_procedure_order(app: Flask, world) -> None:
    world.staff("admin", "administrador")
    client = app.test_client()
    log_in_staff(client, "admin")
    page = client.get("/consola/").get_data(as_text=True)
    select = page.split('<select id="f-paso"', 1)[1].split("</select>", 1)[0]
    codes = re.findall(r"<option value=\"[^\"]+\"[^>]*>(\d+(?:\.\d+)+)", select)
    numbers = [tuple(int(part) for part in code.split(".")) for code in codes]
    assert numbers == sorted(numbers) and len(numbers) > 10
    assert codes.index("5.2.6") < codes.index("5.2.10")


def test_every_milestone_the_engine_records_has_a_name_in_the_history() -> None:
    from engine.cases import MILESTONES
    from web.admin.views import MILESTONE_LABELS

    assert set(MILESTONE_LABELS) == set(MILESTONES)

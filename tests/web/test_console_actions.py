"""The console's repairs and bulk actions: move back, move past a stuck service, a hand-entered
result validated against the step, edit data, reassign, bulk with a preview and its report."""

import re

from flask import Flask
from sqlalchemy import select

from engine.models import BulkJob, Event, HumanTask, OutboxMessage, ProcessInstance, User
from tests.web.conftest import log_in_staff
from tests.web.test_console import failed_case
from web.extensions import db

REASON = "Lo pidió el área jurídica por escrito"
FINDINGS = {"hallazgos": "Hallazgos del caso con detalle."}
INFORMATION = {"informacion_area": "Información del área suficiente."}


def to_the_answer(world, radicado: str) -> None:
    world.escalate(radicado)
    through_the_area(world, radicado)


def through_the_area(world, radicado: str) -> None:
    """5.2.11 to 5.2.13 by the Fondos officer: the case comes back to the Asesor."""
    world.complete(radicado, "ut_5_2_11", "funcionario.fondos", {"es_de_mi_area": True})
    world.complete(
        radicado,
        "ut_5_2_12",
        "funcionario.fondos",
        {"hallazgos": "Hallazgos del caso con detalle."},
    )
    world.complete(
        radicado,
        "ut_5_2_13",
        "funcionario.fondos",
        {"informacion_area": "Información del área suficiente."},
    )


def pinned(preview: str) -> str:
    """The preview's signed list of instances, which the confirmation posts back."""
    match = re.search(r'name="vista" value="([^"]+)"', preview)
    assert match, preview
    return match.group(1)


def people(world) -> None:
    world.staff("admin", "administrador")
    world.staff("asesor", "asesor")
    world.staff("funcionario.fondos", "area_fondos")


def instance_id_of(app: Flask, key: str) -> int:
    with app.app_context():
        return db.session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.business_key == key)
        ).one()


def events(app: Flask, instance_id: int, kind: str) -> list[Event]:
    with app.app_context():
        found = db.session.scalars(
            select(Event).where(Event.instance_id == instance_id, Event.kind == kind)
        ).all()
        db.session.expunge_all()
        return list(found)


def test_moving_a_case_back_offers_visited_steps_and_reaches_the_asesors_inbox(
    app: Flask, world
) -> None:
    people(world)
    radicado = world.file_case(world.citizen())
    to_the_answer(world, radicado)
    instance_id = instance_id_of(app, radicado)
    admin = app.test_client()
    log_in_staff(admin, "admin")
    page = admin.get(f"/consola/instancias/{instance_id}").get_data(as_text=True)
    offered = re.findall(r'<option value="(ut_[0-9_]+)">', page.split('id="paso-anterior"')[1])
    assert offered == ["ut_5_2_6", "ut_5_2_7", "ut_5_2_8", "ut_5_2_10"]  # visited, staff, earlier

    url = f"/consola/instancias/{instance_id}/devolver"
    refused = admin.post(url, data={"paso": "ut_5_2_10", "motivo": "corto"}, follow_redirects=True)
    assert "Escriba el motivo" in refused.get_data(as_text=True)
    unknown = admin.post(url, data={"paso": "ut_5_2_15", "motivo": REASON}, follow_redirects=True)
    assert "elija uno de la lista" in unknown.get_data(as_text=True)
    old_task = world.open_task_id(radicado, "ut_5_2_14")

    done = admin.post(url, data={"paso": "ut_5_2_10", "motivo": REASON}, follow_redirects=True)
    assert "El caso volvió al paso elegido." in done.get_data(as_text=True)
    asesor = app.test_client()
    log_in_staff(asesor, "asesor")
    inbox = asesor.get("/bandeja/?vista=group").get_data(as_text=True)
    new_task = world.open_task_id(radicado, "ut_5_2_10")
    assert f"/bandeja/tareas/{new_task}" in inbox and f"/bandeja/tareas/{old_task}" not in inbox
    (moved,) = events(app, instance_id, "moved_back")
    assert moved.data["motivo"] == REASON and moved.actor_id is not None
    with app.app_context():
        states = dict(
            db.session.execute(
                select(HumanTask.bpmn_id, HumanTask.state).where(
                    HumanTask.instance_id == instance_id,
                    HumanTask.bpmn_id.in_(("ut_5_2_14", "ut_5_2_10")),
                )
            ).all()
        )
        instance = db.session.get(ProcessInstance, instance_id)
        assert states == {"ut_5_2_14": "cancelled", "ut_5_2_10": "open"}
        assert instance.next_timer_at is not None  # the case's timers are still armed
    # The case runs on from there as before: 5.2.10 → the area again.
    world.complete(radicado, "ut_5_2_10", "asesor", {"area": "area_fondos", "dias_area": 5})
    assert world.open_task_id(radicado, "ut_5_2_11")


def _pending_acknowledgement(app: Flask, world) -> tuple[str, int, int]:
    """A filed case whose acknowledgement e-mail job is still pending (the worker is stuck)."""
    from tests.factories import file_case

    with app.app_context():
        eng = world.engine()
        citizen = db.session.get(User, world.citizen())
        case = file_case(eng, citizen)
        db.session.commit()
        message = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.params["plantilla"].as_string() == "acuse",
                OutboxMessage.status == "pending",
            )
        ).first()
        instance = db.session.scalars(
            select(ProcessInstance).where(ProcessInstance.case_id == case.id)
        ).one()
        return case.radicado, instance.id, message.id


def test_moving_past_a_stuck_service_needs_the_result_the_step_expects(app: Flask, world) -> None:
    people(world)
    _, instance_id, outbox_id = _pending_acknowledgement(app, world)
    admin = app.test_client()
    log_in_staff(admin, "admin")
    page = admin.get(f"/consola/instancias/{instance_id}").get_data(as_text=True)
    assert "Servicio detenido" in page and f'name="trabajo" value="{outbox_id}"' in page
    url = f"/consola/instancias/{instance_id}/avanzar"
    form = {"trabajo": outbox_id, "motivo": REASON}
    bad_json = admin.post(url, data={**form, "resultado": "{enviado"}, follow_redirects=True)
    assert "no es JSON válido" in bad_json.get_data(as_text=True)
    wrong = admin.post(url, data={**form, "resultado": '{"x": 1}'}, follow_redirects=True)
    assert "falta el campo «enviado»" in wrong.get_data(as_text=True)
    typed = admin.post(url, data={**form, "resultado": '{"enviado": "sí"}'}, follow_redirects=True)
    assert "«enviado» debe ser verdadero o falso" in typed.get_data(as_text=True)
    ok = admin.post(url, data={**form, "resultado": '{"enviado": true}'}, follow_redirects=True)
    assert "El caso siguió con el resultado indicado." in ok.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(OutboxMessage, outbox_id).status == "skipped"
    (moved,) = events(app, instance_id, "moved_forward")
    assert moved.data == {"motivo": REASON, "resultado": {"enviado": True}}


def test_skipping_an_incident_checks_the_result_against_the_step(app: Flask, world) -> None:
    _, instance_id, incident_id = failed_case(app, world)
    world.staff("admin", "administrador")
    admin = app.test_client()
    log_in_staff(admin, "admin")
    wrong = admin.post(
        f"/consola/incidentes/{incident_id}/omitir",
        data={"motivo": REASON, "resultado": '{"enviado": 1}'},
        follow_redirects=True,
    )
    assert "«enviado» debe ser verdadero o falso" in wrong.get_data(as_text=True)
    assert events(app, instance_id, "skipped") == []


def test_editing_process_data_is_typed_audited_and_for_administrators(app: Flask, world) -> None:
    people(world)
    world.staff("coordinador", "coordinador")
    radicado = world.file_case(world.citizen())
    instance_id = instance_id_of(app, radicado)
    admin = app.test_client()
    log_in_staff(admin, "admin")
    page = admin.get(f"/consola/instancias/{instance_id}").get_data(as_text=True)
    assert 'id="datos-proceso"' in page and "Giro no recibido" in page
    url = f"/consola/instancias/{instance_id}/datos"
    with app.app_context():
        from engine.instance_actions import InstanceActions

        instance = db.session.get(ProcessInstance, instance_id)
        data = InstanceActions(world.engine()).process_data(instance)
    not_json = admin.post(url, data={"datos": "{", "motivo": REASON}, follow_redirects=True)
    assert "no es JSON válido" in not_json.get_data(as_text=True)
    retyped = admin.post(
        url,
        data={"datos": _json({**data, "asunto": 5}), "motivo": REASON},
        follow_redirects=True,
    )
    assert "«asunto» era un texto y debe seguir siéndolo." in retyped.get_data(as_text=True)
    saved = admin.post(
        url,
        data={"datos": _json({**data, "asunto": "Giro del semestre 2026-1"}), "motivo": REASON},
        follow_redirects=True,
    )
    assert "Los datos del proceso quedaron guardados." in saved.get_data(as_text=True)
    (edited,) = events(app, instance_id, "data_edited")
    assert edited.data["antes"] == {"asunto": "Giro no recibido"}
    assert edited.data["despues"] == {"asunto": "Giro del semestre 2026-1"}
    assert edited.data["motivo"] == REASON
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        assert InstanceActions(world.engine()).process_data(instance)["asunto"] == (
            "Giro del semestre 2026-1"
        )
    coordinador = app.test_client()
    log_in_staff(coordinador, "coordinador")
    refused = coordinador.post(url, data={"datos": "{}", "motivo": REASON})
    assert refused.status_code == 403


def _json(value: dict) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def test_a_coordinator_reassigns_only_within_their_groups(app: Flask, world) -> None:
    people(world)
    world.staff("otra.asesora", "asesor")
    world.staff("coordinador", "coordinador", "asesor")
    world.staff("coordinador.fondos", "coordinador", "area_fondos")
    radicado = world.file_case(world.citizen())
    task_id = world.open_task_id(radicado, "ut_5_2_6")
    instance_id = instance_id_of(app, radicado)
    with app.app_context():
        other = db.session.scalars(select(User.id).where(User.username == "otra.asesora")).one()
    outsider = app.test_client()
    log_in_staff(outsider, "coordinador.fondos")
    page = outsider.get(f"/consola/instancias/{instance_id}").get_data(as_text=True)
    assert "Reasignar" not in page
    form = {"persona": other, "motivo": REASON}
    assert outsider.post(f"/consola/tareas/{task_id}/reasignar", data=form).status_code == 403
    coordinator = app.test_client()
    log_in_staff(coordinator, "coordinador")
    page = coordinator.get(f"/consola/instancias/{instance_id}").get_data(as_text=True)
    assert "Reasignar tareas abiertas" in page and "Devolver" not in page
    done = coordinator.post(
        f"/consola/tareas/{task_id}/reasignar", data=form, follow_redirects=True
    )
    assert "La tarea quedó reasignada." in done.get_data(as_text=True)
    (event,) = events(app, instance_id, "reassigned")
    assert event.data == {"asignado_a": "otra.asesora", "motivo": REASON}


def test_bulk_cancel_previews_runs_and_reports_each_failure(app: Flask, world) -> None:
    people(world)
    keys = [world.file_case(world.citizen(f"7000000{n}")) for n in range(3)]
    ids = [instance_id_of(app, k) for k in keys]
    admin = app.test_client()
    log_in_staff(admin, "admin")
    admin.post(f"/consola/instancias/{ids[2]}/cancelar", data={"motivo": REASON})
    search = admin.get("/consola/").get_data(as_text=True)
    assert 'form="masivo"' in search and "Ver a cuáles se aplica" in search
    preview = admin.get(
        "/consola/masivo/vista-previa",
        query_string=[("accion", "cancelar"), *(("instancia", i) for i in ids)],
    ).get_data(as_text=True)
    assert "Se aplicará a 3 instancias." in preview and all(k in preview for k in keys)
    started = admin.post(
        "/consola/masivo",
        data={"accion": "cancelar", "vista": pinned(preview), "motivo": REASON},
    )
    assert started.status_code == 302
    report = admin.get(started.headers["Location"]).get_data(as_text=True)
    assert "Terminada: 2 de 3 instancias sin error." in report
    assert keys[2] in report and "la instancia está cancelada" in report
    assert 'http-equiv="refresh"' not in report
    with app.app_context():
        statuses = db.session.scalars(
            select(ProcessInstance.status).where(ProcessInstance.id.in_(ids))
        ).all()
        assert statuses == ["cancelled"] * 3
        job = db.session.scalars(select(BulkJob)).one()
        assert (job.total, job.processed, len(job.failures)) == (3, 3, 1)
    assert [e.data["motivo"] for e in events(app, ids[0], "cancelled")] == [REASON]


def test_bulk_on_the_whole_filter_result_and_bulk_reassign(app: Flask, world) -> None:
    people(world)
    world.staff("otra.asesora", "asesor")
    keys = [world.file_case(world.citizen(f"7100000{n}")) for n in range(2)]
    admin = app.test_client()
    log_in_staff(admin, "admin")
    preview = admin.get(
        "/consola/masivo/vista-previa",
        query_string={"accion": "reasignar", "alcance": "filtro", "paso": "ut_5_2_6"},
    ).get_data(as_text=True)
    assert "Se aplicará a 2 instancias." in preview and 'name="persona"' in preview
    with app.app_context():
        other = db.session.scalars(select(User.id).where(User.username == "otra.asesora")).one()
    started = admin.post(
        "/consola/masivo",
        data={
            "accion": "reasignar",
            "alcance": "filtro",
            "paso": "ut_5_2_6",
            "vista": pinned(preview),
            "persona": other,
            "motivo": REASON,
        },
    )
    report = admin.get(started.headers["Location"]).get_data(as_text=True)
    assert "Terminada: 2 de 2 instancias sin error." in report
    with app.app_context():
        assignees = db.session.scalars(
            select(HumanTask.assignee_id).where(
                HumanTask.business_key.in_(keys), HumanTask.state == "open"
            )
        ).all()
        assert assignees == [other, other]


def test_a_bulk_action_on_the_filter_result_acts_on_what_the_preview_showed(
    app: Flask, world
) -> None:
    people(world)
    shown = [world.file_case(world.citizen(f"7300000{n}")) for n in range(2)]
    admin = app.test_client()
    log_in_staff(admin, "admin")
    preview = admin.get(
        "/consola/masivo/vista-previa",
        query_string={"accion": "cancelar", "alcance": "filtro", "estado": "running"},
    ).get_data(as_text=True)
    assert "Se aplicará a 2 instancias." in preview
    assert "aunque la búsqueda cambie mientras tanto" in preview
    # Meanwhile a new case matches the filter, and one of those shown is cancelled.
    newcomer = world.file_case(world.citizen("73000009"))
    admin.post(
        f"/consola/instancias/{instance_id_of(app, shown[1])}/cancelar", data={"motivo": REASON}
    )
    token = pinned(preview)
    started = admin.post(
        "/consola/masivo",
        data={
            "accion": "cancelar",
            "alcance": "filtro",
            "estado": "running",
            "vista": token,
            "motivo": REASON,
        },
    )
    report = admin.get(started.headers["Location"]).get_data(as_text=True)
    assert "Terminada: 1 de 2 instancias sin error." in report
    assert shown[1] in report
    assert "Cambió desde la vista previa: estaba en curso, ahora está cancelada" in report
    with app.app_context():
        status = dict(
            db.session.execute(
                select(ProcessInstance.business_key, ProcessInstance.status).where(
                    ProcessInstance.business_key.in_([*shown, newcomer])
                )
            ).all()
        )
    assert status == {shown[0]: "cancelled", shown[1]: "cancelled", newcomer: "running"}
    # The signed list cannot be forged, nor confirmed for another action.
    for data in ({"vista": token + "x"}, {"vista": ""}):
        refused = admin.post(
            "/consola/masivo",
            data={"accion": "cancelar", "motivo": REASON, **data},
            follow_redirects=True,
        )
        assert "Abra la vista previa antes de confirmar" in refused.get_data(as_text=True)
    other = admin.post(
        "/consola/masivo",
        data={"accion": "reintentar", "vista": token, "motivo": REASON},
        follow_redirects=True,
    )
    assert "Abra la vista previa antes de confirmar" in other.get_data(as_text=True)


def test_a_bulk_job_resumes_after_the_last_instance_done_and_retries_incidents(
    app: Flask, world
) -> None:
    from datetime import timedelta

    from sqlalchemy.orm import Session

    from engine import bulk_actions
    from engine.models import Incident
    from engine.runtime import Engine

    _, failed_id, incident_id = failed_case(app, world)
    people(world)
    healthy = instance_id_of(app, world.file_case(world.citizen("72000000")))
    with app.app_context():
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        now = app.extensions["clock"].now()
        job = bulk_actions.create(
            db.session, "reintentar", [healthy, failed_id], admin, REASON, {}, now
        )
        job.processed = 1  # a worker died after the first instance was done
        job.status = "running"
        db.session.commit()
        job_id = job.id
        clock = app.extensions["clock"]
        # Beat's sweep sends it again once its progress stopped for longer than a job lives.
        lease = timedelta(seconds=70)
        assert bulk_actions.silent(db.session, clock.now(), lease) == []
        assert bulk_actions.silent(db.session, clock.now() + 2 * lease, lease) == [job_id]
        done = bulk_actions.run(
            job_id,
            lambda: Session(db.engine),
            lambda session: Engine(session, clock),
            lambda session: session.commit(),
        )
        assert (done.status, done.processed, done.failures) == ("done", 2, [])
        again = bulk_actions.run(
            job_id,
            lambda: Session(db.engine),
            lambda session: Engine(session, clock),
            lambda session: session.commit(),
        )
        assert (again.processed, again.failures) == (2, [])  # a second delivery does nothing
        db.session.rollback()  # a fresh snapshot: the job wrote in sessions of its own
        incident = db.session.get(Incident, incident_id)
        assert incident.resolution == "retried"
        assert db.session.get(OutboxMessage, incident.outbox_id).status == "pending"
    # The healthy case was skipped on resume (it had no incident: it would have failed).
    assert events(app, healthy, "retried") == []


def test_moving_back_out_of_the_area_undoes_the_escalation(app: Flask, world) -> None:
    from engine.instance_actions import InstanceActions

    people(world)
    radicado = world.file_case(world.citizen())
    world.escalate(radicado)
    world.complete(radicado, "ut_5_2_11", "funcionario.fondos", {"es_de_mi_area": True})
    instance_id = instance_id_of(app, radicado)
    assert world.case(radicado).status == "escalado"
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        offered = [s.bpmn_id for s in InstanceActions(world.engine()).back_steps(instance)]
        # the area's own earlier step and the Asesor's steps of the enclosing process
        assert offered == ["ut_5_2_6", "ut_5_2_7", "ut_5_2_8", "ut_5_2_10", "ut_5_2_11"]
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        InstanceActions(world.engine()).move_back(instance_id, admin, "ut_5_2_10", REASON)
        db.session.commit()
    case = world.case(radicado)
    assert (case.status, case.area, case.area_due) == ("en_tramite", None, None)
    with app.app_context():
        open_rows = db.session.scalars(
            select(HumanTask.bpmn_id).where(
                HumanTask.instance_id == instance_id, HumanTask.state == "open"
            )
        ).all()
        assert open_rows == ["ut_5_2_10"]
    world.complete(radicado, "ut_5_2_10", "asesor", {"area": "area_fondos", "dias_area": 3})
    case = world.case(radicado)
    assert case.status == "escalado" and case.area_due is not None
    assert world.open_task_id(radicado, "ut_5_2_11")


def test_no_moving_back_once_the_answer_was_sent(app: Flask, world) -> None:
    from engine.instance_actions import InstanceActions
    from engine.models import Case

    people(world)
    radicado = world.file_case(world.citizen())
    world.complete(radicado, "ut_5_2_6", "asesor", {"es_felicitacion": False})
    instance_id = instance_id_of(app, radicado)
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        assert [s.bpmn_id for s in InstanceActions(world.engine()).back_steps(instance)] == [
            "ut_5_2_6"
        ]
        case = db.session.scalars(select(Case).where(Case.radicado == radicado)).one()
        case.answered_at = app.extensions["clock"].now()
        db.session.commit()
        assert InstanceActions(world.engine()).back_steps(instance) == []


def test_bulk_migrate_moves_the_movable_cases_and_says_why_not_for_the_others(
    app: Flask, world
) -> None:
    from engine.models import Deployment
    from engine.runtime import Engine
    from tests import factories as f

    people(world)
    keys = [world.file_case(world.citizen(f"7100000{n}")) for n in range(2)]
    ids = [instance_id_of(app, k) for k in keys]
    with app.app_context():
        files = f.bundle_files()
        files["bpmn/caso_pqrs.bpmn"] = files["bpmn/caso_pqrs.bpmn"].replace(
            "sumar_horas(caso['radicado_en'], 24)", "sumar_horas(caso['radicado_en'], 12)"
        )
        Engine(db.session, app.extensions["clock"]).deploy(files)
        db.session.commit()
    admin = app.test_client()
    log_in_staff(admin, "admin")
    admin.post(f"/consola/instancias/{ids[1]}/suspender", data={"motivo": REASON})
    preview = admin.get(
        "/consola/masivo/vista-previa",
        query_string=[("accion", "migrar"), *(("instancia", i) for i in ids)],
    ).get_data(as_text=True)
    assert "Mover a la versión más reciente" in preview
    started = admin.post(
        "/consola/masivo",
        data={"accion": "migrar", "vista": pinned(preview), "motivo": REASON},
    )
    report = admin.get(started.headers["Location"]).get_data(as_text=True)
    assert "Terminada: 1 de 2 instancias sin error." in report
    assert keys[1] in report and "reanúdela antes de moverla" in report
    with app.app_context():
        versions = dict(
            db.session.execute(
                select(ProcessInstance.id, Deployment.version)
                .join(Deployment, Deployment.id == ProcessInstance.deployment_id)
                .where(ProcessInstance.id.in_(ids))
            ).all()
        )
    assert versions == {ids[0]: 2, ids[1]: 1}
    assert len(events(app, ids[0], "migrated")) == 1

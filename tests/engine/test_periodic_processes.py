"""The weekly quality audit (5.2.18–5.2.22) and the monthly report (5.2.23–5.2.27)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.errors import FormInvalid
from engine.models import Event, HumanTask, ProcessInstance
from engine.runtime import Engine
from tests import factories as f


@pytest.fixture
def office(session, clock):
    engine = Engine(session, clock)
    f.deploy(engine)
    now = clock.now()
    roles = [
        "profesional_ocm",
        "jefe_ocm",
        "gerente_outsourcing",
        "comite_calidad",
        "agente_calidad",
        "interventoria",
    ]
    return engine, {role: f.user(session, role, role, now=now) for role in roles}


def ready(engine, instance) -> HumanTask:
    return engine.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "open")
    ).one()


def act(engine, people, instance, bpmn_id, **data):
    task = ready(engine, instance)
    assert task.bpmn_id == bpmn_id
    engine.complete_task(task.id, people[task.candidate_group], data)


def started(engine, process_id):
    return next(i for i in engine.start_due_schedules() if i.process_id == process_id)


def f182(ok=True):
    """What the Profesional judges; the record's facts come prefilled (and read-only)."""
    return dict(
        agente_efectivo=True,
        calidad_redaccion_ortografia="alta" if ok else "media",
        observaciones="Sin novedad." if ok else "Respuesta tardía.",
    )


FICHA = {
    "canal": "portal",
    "tipo": "Reclamo",
    "servicio": "Crédito",
    "area": "Sin escalamiento",
    "fecha_ingreso": "2026-03-02T09:00-05:00",
    "cedula": "52000111",
    "fecha_hora_primera_respuesta": "2026-03-02T15:00-05:00",
    "respuesta_en_24h": True,
    "fecha_hora_respuesta": "2026-03-04T10:00-05:00",
    "respuesta_en_termino": True,
    "veces_registrado_crm": 5,
    "funcionario_responsable": "Ana Pérez",
    "texto_respuesta": "Su crédito está al día.",
    "incluye_chat": False,
}
REPORT = {
    "informe": "Borrador del informe semanal con la calificación y las inconsistencias.",
    "calificacion_servicio": 92.5,
    "casos_auditados": 2,
    "hay_inconsistencias": True,
    "texto_inconsistencias": "AV-2026-000002: redacción media.",
}


def test_each_period_starts_one_instance_from_the_diagram_cycle(office, clock):
    engine, _ = office
    first = engine.start_due_schedules()
    keys = sorted(i.business_key for i in first)
    # Tue 10 Mar 2026: the week began Mon 9 Mar 07:00 -05:00; the month on 1 Mar.
    assert keys == [
        "auditoria_calidad@2026-03-09T12:00:00+00:00",
        "informe_mensual@2026-03-01T12:00:00+00:00",
    ]
    assert engine.start_due_schedules() == []
    clock.advance(timedelta(days=6))
    assert [i.process_id for i in engine.start_due_schedules()] == ["auditoria_calidad"]


def test_changing_the_cycle_in_the_diagram_changes_the_schedule(office, clock):
    engine, _ = office
    files = f.bundle_files()
    files["bpmn/auditoria_calidad.bpmn"] = files["bpmn/auditoria_calidad.bpmn"].replace(
        "R/2026-01-05T07:00:00-05:00/P1W", "R/2026-01-05T07:00:00-05:00/P2W"
    )
    engine.deploy(files)
    audit = started(engine, "auditoria_calidad")
    assert audit.business_key == "auditoria_calidad@2026-03-02T12:00:00+00:00"


def test_the_weekly_audit_runs_from_sample_to_committee(office):
    engine, people = office
    audit = started(engine, "auditoria_calidad")
    sample = ["AV-2026-000001", "AV-2026-000002"]
    f.complete_services(
        engine,
        {
            "audit_sample": {
                "muestra": sample,
                "fichas": {r: {**FICHA, "radicado": r} for r in sample},
            }
        },
    )
    task = ready(engine, audit)
    view = engine.task_view(task.id, people["profesional_ocm"])
    assert view.data["radicado"] == "AV-2026-000001"
    assert view.prefill["fecha_hora_respuesta"] == "2026-03-04T10:00-05:00"
    # The record's facts are read-only: a submitted value for one is ignored.
    act(engine, people, audit, "ut_5_2_18", veces_registrado_crm=1, **f182())
    act(engine, people, audit, "ut_5_2_18", **f182(ok=False))
    f.complete_services(engine, {"audit_report": REPORT})
    view = engine.task_view(ready(engine, audit).id, people["profesional_ocm"])
    records = view.data["registros_f182"]
    assert [r["veces_registrado_crm"] for r in records] == [5, 5]
    assert records[1]["calidad_redaccion_ortografia"] == "media"
    assert view.data["calificacion_servicio"] == 92.5
    assert view.data["hay_inconsistencias"] is True
    act(
        engine,
        people,
        audit,
        "ut_5_2_19",
        texto_informe="Informe: un caso respondió fuera de las 24 horas y con redacción media.",
        inconsistencias="AV-2026-000002 respondió tarde.",
    )
    assert "audit_pdf:" in f.complete_services(engine, {"audit_pdf": {"generado": True}})
    act(
        engine,
        people,
        audit,
        "ut_5_2_20",
        informe_revisado=True,
        comentarios_jefe="Revisen el turno de la mañana.",
    )
    assert "notify:informe_auditoria" in f.complete_services(engine)
    act(
        engine,
        people,
        audit,
        "ut_5_2_21",
        respuesta_inconsistencias="Se reforzó el turno de la mañana.",
        acciones_tomadas="Capacitación al equipo.",
    )
    act(
        engine,
        people,
        audit,
        "ut_5_2_22",
        decision_comite="acciones_de_mejora",
        decisiones="Se acepta el plan con seguimiento mensual.",
        fecha_comite="2026-03-13",
    )
    engine.session.refresh(audit)
    assert audit.status == "completed"


def test_a_week_without_answered_cases_ends_at_the_diagram_gateway(office):
    """An empty sample ends the audit at «¿Hay casos en la muestra?»: no F182, no report,
    nobody asked to judge (5.2.18 to 5.2.22 never start)."""
    engine, _ = office
    audit = started(engine, "auditoria_calidad")
    done = f.complete_services(engine, {"audit_sample": {"muestra": []}})
    assert "audit_sample:" in done and not any(d.startswith("audit_report") for d in done)
    engine.session.refresh(audit)
    assert audit.status == "completed"
    tasks = engine.session.scalars(select(HumanTask).where(HumanTask.instance_id == audit.id))
    assert list(tasks) == []
    steps = engine.session.scalars(
        select(Event.bpmn_id).where(Event.instance_id == audit.id, Event.bpmn_id.is_not(None))
    ).all()
    assert "st_informe" not in steps and "ut_5_2_18" not in steps


def test_the_monthly_report_loops_on_observations_until_clean(office):
    engine, people = office
    report = started(engine, "informe_mensual")
    f.complete_services(engine)
    act(
        engine,
        people,
        report,
        "ut_5_2_23",
        comentarios_reportes="Indicadores del mes.",
    )
    act(
        engine,
        people,
        report,
        "ut_5_2_24",
        hay_observaciones=True,
        observaciones_reportes="Falta el detalle de vencidos.",
    )
    act(engine, people, report, "ut_5_2_25", ajustes_realizados="Se agregó el detalle de vencidos.")
    assert f.complete_services(engine) == ["monthly_report:"]  # recomputed with the adjustments
    act(engine, people, report, "ut_5_2_24", hay_observaciones=False)
    act(
        engine,
        people,
        report,
        "ut_5_2_26",
        resumen_ejecutivo="Resumen del mes de febrero de 2026 sin novedades graves.",
    )
    assert f.complete_services(engine) == ["monthly_report:"]  # the consolidated files
    act(
        engine,
        people,
        report,
        "ut_5_2_27",
        fecha_remision="2026-03-12",
        medio_fisico=True,
        medio_magnetico=True,
        interventores="Comité de Interventoría",
    )
    assert f.complete_services(engine) == ["report_mail:"]  # both files to the Interventoría
    act(
        engine,
        people,
        report,
        "ut_interventoria",
        fecha_acta="2026-03-20",
        numero_acta="12",
        conclusiones_interventoria="El informe se aprueba sin observaciones.",
    )
    assert engine.session.get(ProcessInstance, report.id).status == "completed"


def test_no_period_before_the_first_cycle(session):
    engine = Engine(session, f.ManualClock(datetime(2025, 12, 1, tzinfo=UTC)))
    f.deploy(engine)
    assert engine.start_due_schedules() == []


def test_the_monthly_report_names_its_month_and_is_sent_by_at_least_one_medium(office):
    engine, people = office
    report = started(engine, "informe_mensual")
    f.complete_services(engine)
    task = ready(engine, report)
    view = engine.task_view(task.id, people[task.candidate_group])
    assert view.prefill["periodo_informe"] == "2026-02"  # AAAA-MM, as its form asks
    act(engine, people, report, "ut_5_2_23", comentarios_reportes="Indicadores del mes.")
    act(engine, people, report, "ut_5_2_24", hay_observaciones=False)
    act(engine, people, report, "ut_5_2_26", resumen_ejecutivo="Resumen del mes sin novedades.")
    f.complete_services(engine)
    task = ready(engine, report)
    with pytest.raises(FormInvalid) as refused:
        engine.complete_task(
            task.id,
            people[task.candidate_group],
            dict(
                fecha_remision="2026-03-12",
                medio_fisico=False,
                medio_magnetico=False,
                interventores="Comité de Interventoría",
            ),
        )
    assert "al menos un medio" in refused.value.errors["medio_magnetico"]

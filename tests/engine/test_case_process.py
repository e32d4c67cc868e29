"""The Caso PQRS process, path by path, through the durable engine."""

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine.configuration import set_review_share
from engine.errors import FormInvalid, NotAllowed
from engine.models import CaseAlert, Event, ProcessInstance
from engine.runtime import Engine, Settings
from tests import factories as f

LEGACY = {"legacy_lookup": {"sistemas": {"cctex": {"estado": "al día"}}}}


@pytest.fixture
def desk(session, clock):
    return f.desk(
        session,
        clock,
        {
            "asesor": ("asesor", "asesor"),
            "fondos": ("funcionario.fondos", "area_fondos"),
            "juridica": ("funcionario.juridica", "area_juridica"),
            "calidad": ("calidad", "agente_calidad"),
        },
    )


def act(engine, people, who, case, bpmn_id, **data):
    task = f.open_task(engine.session, case.id, bpmn_id)
    engine.complete_task(task.id, people[who], data)


def review_and_analyse(engine, people, case, escalate):
    act(engine, people, "asesor", case, "ut_5_2_6", es_felicitacion=False)
    act(
        engine,
        people,
        "asesor",
        case,
        "ut_5_2_7",
        complejidad="media",
        analisis="Requiere revisar pagos.",
    )
    assert f.complete_services(engine, LEGACY) == ["legacy_lookup:"]
    act(
        engine,
        people,
        "asesor",
        case,
        "ut_5_2_8",
        escalar=escalate,
        justificacion_escalamiento="Revisión de pagos en C&CTEX.",
    )


def draft(engine, people, case):
    act(
        engine,
        people,
        "asesor",
        case,
        "ut_5_2_14",
        plantilla="respuesta_de_fondo",
        respuesta="Hemos revisado su caso y el cobro duplicado fue reversado el 12 de marzo.",
    )


def finish(engine, people, case):
    act(engine, people, "calidad", case, "ut_5_2_16", tipificacion="pagos_y_extractos")
    assert "notify:respuesta_final" in f.complete_services(engine)


def approve(engine, people, case):
    act(engine, people, "calidad", case, "ut_5_2_15", cumple=True, acorde=True, clara=True,
        sin_errores_forma=True)  # fmt: skip


def drawn_for_review(engine, people):
    """A case whose answer will be reviewed: the administrator set the share to 100 %."""
    set_review_share(engine.session, 100, None, engine.clock.now())
    return filed(engine, people)


class UnluckyDraw(random.Random):
    """A random source whose every free draw says "do not review"."""

    def random(self) -> float:
        return 0.999


def filed(engine, people, **changes):
    case = f.file_case(engine, people["citizen"], **changes)
    assert f.complete_services(engine) == ["notify:acuse"]
    return case


def test_filing_assigns_consecutive_radicados_and_the_legal_deadline(desk, clock):
    engine, people = desk
    first = filed(engine, people)
    second = filed(engine, people, tipo="solicitud", modalidad="consulta")
    assert (first.radicado, second.radicado) == ("AV-2026-000001", "AV-2026-000002")
    # Filed Tue 10 Mar 2026: 15 business days skip San José (Mon 23 Mar) -> Wed 1 Apr.
    assert first.legal_due.astimezone(f.BOGOTA).date().isoformat() == "2026-04-01"
    assert second.legal_days == 30
    assert first.first_response_due == clock.now() + timedelta(hours=24)
    assert f.open_tasks(engine.session, first.id) == ["ut_5_2_6"]
    # 5.2.1-5.2.5 are recorded in the instance with who and when (a registered citizen: 5.2.3).
    steps = engine.session.execute(
        select(Event.bpmn_id, Event.actor_id).where(
            Event.case_id == first.id, Event.kind == "task_completed"
        )
    ).all()
    citizen = people["citizen"].id
    assert steps == [(f"ut_5_2_{n}", citizen) for n in (1, 3, 4, 5)]


def test_the_radicado_takes_the_year_in_bogota_not_in_utc(desk, clock):
    engine, people = desk
    # 31 December, 19:30 in Bogotá is already 1 January in UTC: still a case of 2026.
    clock.set(datetime(2026, 12, 31, 19, 30, tzinfo=f.BOGOTA))
    assert filed(engine, people).radicado == "AV-2026-000001"
    clock.set(datetime(2027, 1, 1, 0, 30, tzinfo=f.BOGOTA))
    assert filed(engine, people).radicado == "AV-2027-000001"


def test_a_compliment_skips_the_analysis_and_goes_straight_to_the_response(desk):
    engine, people = desk
    case = filed(engine, people, tipo="felicitacion")
    act(engine, people, "asesor", case, "ut_5_2_6", es_felicitacion=True)
    assert f.open_tasks(engine.session, case.id) == ["ut_5_2_14"]


def test_an_answer_without_escalation_reaches_the_citizen(desk, clock):
    engine, people = desk
    case = drawn_for_review(engine, people)
    review_and_analyse(engine, people, case, escalate=False)
    draft(engine, people, case)
    approve(engine, people, case)
    clock.advance(timedelta(hours=2))
    finish(engine, people, case)
    engine.session.refresh(case)
    assert case.status == "respondido" and case.answer.startswith("Hemos revisado")
    # With no escalation notice before it, the final answer is also the first response.
    assert case.answered_at == case.first_response_at == clock.now()
    instance = engine.session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == case.id)
    ).one()
    assert instance.status == "completed"


def test_escalation_to_an_area_and_back_with_a_not_my_area_return(desk, clock):
    engine, people = desk
    case = drawn_for_review(engine, people)
    review_and_analyse(engine, people, case, escalate=True)
    # 5.2.9 comes right after the matrix, so the notice names the area it suggests.
    [notice] = f.pending(engine.session)
    assert notice.params["plantilla"] == "escalamiento"
    assert notice.params["area"] == "area_credito_cobranza"
    assert f.complete_services(engine) == ["notify:escalamiento"]
    engine.session.refresh(case)
    assert case.first_response_at == clock.now()  # the escalation notice
    act(engine, people, "asesor", case, "ut_5_2_10", area="area_juridica", dias_area=5)
    assert f.complete_services(engine) == ["notify:asignacion"]
    assert case.status == "escalado" and case.area == "area_juridica" and case.area_due
    assert case.escalated  # counted as escalated in the monthly report, even once returned
    task = f.open_task(engine.session, case.id, "ut_5_2_11")
    assert task.candidate_group == "area_juridica"
    with pytest.raises(NotAllowed):
        engine.complete_task(task.id, people["fondos"], {"es_de_mi_area": True})
    act(
        engine,
        people,
        "juridica",
        case,
        "ut_5_2_11",
        es_de_mi_area=False,
        motivo_devolucion="Corresponde a Fondos en Administración.",
    )
    # Returned: the case is back with the asesor, no area and no area term.
    assert (case.status, case.area, case.area_due) == ("en_tramite", None, None)
    assert case.escalated
    assert f.open_tasks(engine.session, case.id) == ["ut_5_2_10"]
    act(engine, people, "asesor", case, "ut_5_2_10", area="area_fondos", dias_area=3)
    f.complete_services(engine)
    act(engine, people, "fondos", case, "ut_5_2_11", es_de_mi_area=True)
    act(
        engine,
        people,
        "fondos",
        case,
        "ut_5_2_12",
        hallazgos="El pago se aplicó dos veces en marzo.",
    )
    act(
        engine,
        people,
        "fondos",
        case,
        "ut_5_2_13",
        informacion_area="Se reversó el segundo pago el 12 de marzo de 2026.",
    )
    assert case.status == "en_tramite"  # the area answered: back with the asesor
    assert f.open_tasks(engine.session, case.id) == ["ut_5_2_14"]
    first_response = case.first_response_at
    draft(engine, people, case)
    approve(engine, people, case)
    clock.advance(timedelta(hours=2))
    finish(engine, people, case)
    # The final answer does not move the first response the escalation notice gave.
    assert (case.first_response_at, case.answered_at) == (first_response, clock.now())


def test_quality_rejection_loops_back_to_the_draft_until_approved(desk):
    engine, people = desk
    case = drawn_for_review(engine, people)
    review_and_analyse(engine, people, case, escalate=False)
    draft(engine, people, case)
    with pytest.raises(FormInvalid) as error:
        act(engine, people, "calidad", case, "ut_5_2_15", cumple=False)
    assert "observaciones_calidad" in error.value.errors
    act(
        engine,
        people,
        "calidad",
        case,
        "ut_5_2_15",
        cumple=False,
        acorde=True,
        clara=False,
        sin_errores_forma=True,
        observaciones_calidad="Falta la fecha del reverso.",
    )
    assert f.open_tasks(engine.session, case.id) == ["ut_5_2_14"]
    draft(engine, people, case)
    approve(engine, people, case)
    finish(engine, people, case)
    assert case.reviewed


def test_an_answer_not_drawn_for_review_goes_straight_to_classification(desk):
    engine, people = desk
    engine = Engine(engine.session, engine.clock, Settings(review_random=UnluckyDraw()))
    # The month's first answer is always reviewed (skipping it would leave 0 % reviewed)...
    first = filed(engine, people)
    review_and_analyse(engine, people, first, escalate=False)
    draft(engine, people, first)
    assert f.open_tasks(engine.session, first.id) == ["ut_5_2_15"]
    # ...the second may skip review: 1 of 2 keeps the month at the 50 % floor.
    case = filed(engine, people)
    review_and_analyse(engine, people, case, escalate=False)
    draft(engine, people, case)
    assert f.open_tasks(engine.session, case.id) == ["ut_5_2_16"]
    finish(engine, people, case)
    assert not case.reviewed and case.review_drawn is False
    assert case.classification == "pagos_y_extractos"


def test_the_first_response_reminder_and_alert_fire_by_the_clock(desk, clock):
    engine, people = desk
    case = filed(engine, people)
    clock.advance(timedelta(hours=20, minutes=1))
    assert engine.fire_due_timers() == 1
    assert f.complete_services(engine) == ["notify:recordatorio_primera_respuesta"]
    clock.advance(timedelta(hours=4))
    engine.fire_due_timers()
    assert f.complete_services(engine) == ["notify:alerta_primera_respuesta"]
    alerts = engine.session.scalars(
        select(CaseAlert.term).where(CaseAlert.case_id == case.id)
    ).all()
    assert alerts == ["primera_respuesta"]
    assert f.open_tasks(engine.session, case.id) == ["ut_5_2_6"]  # the work goes on
    assert engine.fire_due_timers() == 0  # nothing fires twice


def test_no_first_response_alert_once_the_escalation_notice_went_out(desk, clock):
    engine, people = desk
    case = filed(engine, people)
    review_and_analyse(engine, people, case, escalate=True)
    f.complete_services(engine)
    clock.advance(timedelta(hours=25))
    engine.fire_due_timers()
    sent = f.complete_services(engine)
    assert "notify:alerta_primera_respuesta" not in sent
    assert engine.session.scalars(select(CaseAlert).where(CaseAlert.case_id == case.id)).all() == []


def test_legal_and_area_deadlines_remind_and_alert(desk, clock):
    engine, people = desk
    case = filed(engine, people)
    review_and_analyse(engine, people, case, escalate=True)
    f.complete_services(engine)
    act(engine, people, "asesor", case, "ut_5_2_10", area="area_fondos", dias_area=2)
    f.complete_services(engine)
    sent = []
    for _ in range(60):  # 30 days, past the 15 business days
        clock.advance(timedelta(hours=12))
        engine.fire_due_timers()
        sent += f.complete_services(engine)
    assert sent == [
        "notify:recordatorio_area",
        "notify:alerta_area",
        "notify:recordatorio_legal",
        "notify:alerta_legal",
    ]
    alerts = engine.session.execute(
        select(CaseAlert.term, CaseAlert.area, CaseAlert.raised_at).where(
            CaseAlert.case_id == case.id
        )
    ).all()
    # Each alert records the term that expired and the area that had the case then.
    assert sorted((term, area) for term, area, _ in alerts) == [
        ("area", "area_fondos"),
        ("legal", "area_fondos"),
    ]


def test_a_prorroga_moves_the_legal_alert(desk, clock):
    engine, people = desk
    case = filed(engine, people)
    original = case.legal_due
    engine.extend_deadline(case.id, people["asesor"], 15, "Se requiere concepto jurídico.")
    assert case.legal_due > original
    assert "notify:prorroga" in f.complete_services(engine)
    clock.set(original + timedelta(hours=1))
    engine.fire_due_timers()
    assert "notify:alerta_legal" not in f.complete_services(engine)
    clock.set(case.legal_due + timedelta(hours=1))
    engine.fire_due_timers()
    assert "notify:alerta_legal" in f.complete_services(engine)

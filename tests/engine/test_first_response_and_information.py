"""The 24-hour first response in its three kinds, and incomplete requests (Ley 1755 art. 17),
through the durable engine and the diagram."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.errors import EngineError, FormInvalid
from engine.models import CaseAlert, HumanTask, ProcessInstance
from tests import factories as f
from tests.engine.test_case_process import act, filed, review_and_analyse


@pytest.fixture
def desk(session, clock):
    return f.desk(
        session,
        clock,
        {
            "asesor": ("asesor", "asesor"),
            "calidad": ("calidad", "agente_calidad"),
        },
    )


INTERIM = (
    "Hemos recibido su reclamo y estamos verificando los pagos con el área de cartera; "
    "le daremos respuesta de fondo en la fecha indicada."
)
ASK = "Envíenos el soporte del pago de marzo (extracto bancario o recibo) para verificarlo."


def day(moment) -> date:
    return moment.astimezone(f.BOGOTA).date()


def instance_of(engine, case) -> ProcessInstance:
    return engine.session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == case.id)
    ).one()


def at_5_2_14(engine, people):
    case = filed(engine, people)
    review_and_analyse(engine, people, case, escalate=False)
    return case


def inform_date(engine, people, case, promised: str) -> None:
    act(
        engine,
        people,
        "asesor",
        case,
        "ut_5_2_14",
        plantilla="informar_fecha_respuesta",
        respuesta=INTERIM,
        fecha_respuesta=promised,
    )


def ask_for_information(engine, people, case) -> None:
    act(engine, people, "asesor", case, "ut_5_2_14", plantilla="solicitud_de_informacion",
        respuesta=ASK)  # fmt: skip
    assert f.complete_services(engine) == ["notify:solicitud_informacion"]


def test_an_interim_answer_is_the_first_response_and_the_case_stays_with_the_asesor(desk, clock):
    engine, people = desk
    case = at_5_2_14(engine, people)
    answered_at = clock.now()
    inform_date(engine, people, case, "2026-03-20")
    assert f.complete_services(engine) == ["notify:fecha_respuesta"]
    engine.session.refresh(case)
    assert case.first_response_at == answered_at and case.first_response_kind == "fecha"
    assert day(case.answer_promised_by) == date(2026, 3, 20)
    assert case.interim_answer == INTERIM
    assert case.status == "en_tramite" and case.answered_at is None
    # Back in the Asesor's hands, with a blank draft for the answer itself.
    assert f.open_tasks(engine.session, case.id) == ["ut_5_2_14"]
    task = f.open_task(engine.session, case.id, "ut_5_2_14")
    view = engine.task_view(task.id, people["asesor"])
    assert view.data["plantilla"] is None and view.data["respuesta"] is None

    # The 24 hours pass: neither the reminder nor the alert goes out, nothing is flagged.
    clock.advance(timedelta(hours=24, minutes=1))
    engine.fire_due_timers()
    assert f.complete_services(engine) == []
    assert engine.session.scalars(select(CaseAlert)).all() == []
    assert instance_of(engine, case).status == "running"


def test_without_any_first_response_the_24_hour_alert_still_fires(desk, clock):
    engine, people = desk
    case = at_5_2_14(engine, people)
    clock.advance(timedelta(hours=24, minutes=1))
    engine.fire_due_timers()
    sent = f.complete_services(engine)
    assert "notify:alerta_primera_respuesta" in sent
    assert [a.term for a in engine.session.scalars(select(CaseAlert))] == ["primera_respuesta"]
    engine.session.refresh(case)
    assert case.first_response_at is None


@pytest.mark.parametrize(
    ("promised", "message"),
    [
        ("2026-04-02", "término legal"),  # the legal term ends on Wed 1 April
        ("2026-03-09", "anterior a hoy"),
        (None, "obligatorio"),
    ],
)
def test_an_interim_date_beyond_the_legal_term_is_refused(desk, clock, promised, message):
    engine, people = desk
    case = at_5_2_14(engine, people)
    data = {"plantilla": "informar_fecha_respuesta", "respuesta": INTERIM}
    if promised:
        data["fecha_respuesta"] = promised
    task = f.open_task(engine.session, case.id, "ut_5_2_14")
    engine.session.commit()  # what the web app committed before this request
    with pytest.raises(FormInvalid) as refused:
        engine.complete_task(task.id, people["asesor"], data)
    assert message in refused.value.errors["fecha_respuesta"]
    engine.session.rollback()
    engine.session.refresh(case)
    assert case.first_response_at is None
    assert f.open_tasks(engine.session, case.id) == ["ut_5_2_14"]


def test_the_last_day_of_the_legal_term_is_a_valid_interim_date(desk):
    engine, people = desk
    case = at_5_2_14(engine, people)
    inform_date(engine, people, case, "2026-04-01")
    engine.session.refresh(case)
    assert case.first_response_kind == "fecha"


def test_the_case_record_names_each_kind_of_first_response(desk):
    engine, people = desk
    escalated = filed(engine, people)
    review_and_analyse(engine, people, escalated, escalate=True)
    assert f.complete_services(engine) == ["notify:escalamiento"]
    answered = at_5_2_14(engine, people)
    answer = "Hemos revisado su caso y el cobro duplicado fue reversado el 12 de marzo."
    act(engine, people, "asesor", answered, "ut_5_2_14", plantilla="respuesta_de_fondo",
        respuesta=answer)  # fmt: skip
    f.complete_services(engine)
    if f.open_tasks(engine.session, answered.id) == ["ut_5_2_15"]:
        act(engine, people, "calidad", answered, "ut_5_2_15", cumple=True, acorde=True,
            clara=True, sin_errores_forma=True)  # fmt: skip
    act(engine, people, "calidad", answered, "ut_5_2_16", tipificacion="pagos_y_extractos")
    f.complete_services(engine)
    for case in (escalated, answered):
        engine.session.refresh(case)
    assert escalated.first_response_kind == "escalamiento"
    assert answered.first_response_kind == "respuesta"


def test_the_citizen_answers_and_the_legal_term_moves_by_the_days_it_waited(desk, clock):
    engine, people = desk
    case = at_5_2_14(engine, people)
    original_due = case.legal_due  # Wed 1 April 2026
    asked_at = clock.now()  # Tue 10 March
    ask_for_information(engine, people, case)
    engine.session.refresh(case)
    assert case.status == "esperando_usuario" and case.info_request == ASK
    assert day(case.info_due) == date(2026, 4, 10)  # one month: 10 April, a Friday
    task = f.open_task(engine.session, case.id, "ut_aportar_informacion")
    assert task.candidate_group == "usuario" and task.assignee_id == people["citizen"].id

    # While the term is suspended its old end passes without a legal reminder or alert (a
    # request for information is not one of the three kinds of first response: that alert
    # still fires).
    clock.set(datetime(2026, 4, 2, 14, 0, tzinfo=UTC))  # Thu 2 April, 09:00 Bogotá
    engine.fire_due_timers()
    assert f.complete_services(engine) == [
        "notify:recordatorio_primera_respuesta",
        "notify:alerta_primera_respuesta",
    ]
    assert [a.term for a in engine.session.scalars(select(CaseAlert))] == ["primera_respuesta"]

    clock.set(datetime(2026, 4, 6, 15, 0, tzinfo=UTC))  # Mon 6 April (2-3 April: holidays)
    engine.complete_task(
        task.id, people["citizen"], {"informacion": "Adjunto el extracto del banco de marzo."}
    )
    engine.session.refresh(case)
    waited = engine.calendar.business_days_between(day(asked_at), day(clock.now()))
    assert waited == 16
    assert case.legal_due == engine.calendar.add_business_days(original_due, waited)
    assert day(case.legal_due) == date(2026, 4, 27)
    assert case.suspended_days == waited and case.status == "en_tramite"
    assert case.info_requested_at is None
    assert f.open_tasks(engine.session, case.id) == ["ut_5_2_14"]
    # The legal timers follow the new end of the term.
    assert instance_of(engine, case).next_timer_at <= case.legal_due


def test_another_citizen_cannot_answer_for_the_case(desk, clock):
    engine, people = desk
    case = at_5_2_14(engine, people)
    ask_for_information(engine, people, case)
    other = f.user(engine.session, "79000222", "usuario", now=clock.now(), kind="citizen")
    task = f.open_task(engine.session, case.id, "ut_aportar_informacion")
    with pytest.raises(EngineError):
        engine.complete_task(task.id, other, {"informacion": "No es mi caso, pero respondo."})


def test_no_prorroga_while_the_term_is_suspended(desk):
    engine, people = desk
    case = at_5_2_14(engine, people)
    ask_for_information(engine, people, case)
    with pytest.raises(EngineError, match="suspendido"):
        engine.extend_deadline(case.id, people["asesor"], 5, "Falta información del área.")


def test_without_an_answer_in_a_month_the_request_is_withdrawn(desk, clock):
    engine, people = desk
    case = at_5_2_14(engine, people)
    ask_for_information(engine, people, case)
    engine.session.refresh(case)
    clock.set(case.info_due - timedelta(hours=1))
    engine.fire_due_timers()
    assert "notify:desistimiento" not in f.complete_services(engine)
    assert f.open_tasks(engine.session, case.id) == ["ut_aportar_informacion"]

    clock.set(case.info_due + timedelta(minutes=1))
    engine.fire_due_timers()
    assert f.complete_services(engine) == ["notify:desistimiento"]
    engine.session.refresh(case)
    assert case.status == "desistido" and case.withdrawn_at == clock.now()
    assert case.answered_at is None
    assert f.open_tasks(engine.session, case.id) == []
    rows = engine.session.scalars(select(HumanTask.state).where(HumanTask.case_id == case.id))
    assert "open" not in set(rows)
    assert instance_of(engine, case).status == "completed"
    assert [a.term for a in engine.session.scalars(select(CaseAlert))] == ["primera_respuesta"]

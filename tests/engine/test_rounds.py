"""A new round starts clean: when a loop sends work back, the repeated step's form opens
without its own earlier verdict and notes; only what is marked to carry over (the draft) does."""

import pytest

from engine import forms
from engine.configuration import set_review_share
from tests import factories as f
from tests.engine.test_case_process import LEGACY, act, draft, filed
from tests.engine.test_periodic_processes import ready, started

REJECTION = dict(
    cumple=False,
    acorde=True,
    clara=False,
    sin_errores_forma=True,
    observaciones_calidad="Falta la fecha del reverso.",
)


@pytest.fixture
def desk(session, clock):
    # Every answer is drawn for review, whatever the draw: the loop is what is under test.
    set_review_share(session, 100, None, clock.now())
    return f.desk(
        session,
        clock,
        {
            "asesor": ("asesor", "asesor"),
            "calidad": ("calidad", "agente_calidad"),
            "gerente_outsourcing": ("gerente", "gerente_outsourcing"),
            "agente_calidad": ("agente", "agente_calidad"),
        },
    )


def view(engine, people, who, case, bpmn_id):
    task = f.open_task(engine.session, case.id, bpmn_id)
    return engine.task_view(task.id, people[who])


def answered_directly(engine, people):
    case = filed(engine, people)
    act(engine, people, "asesor", case, "ut_5_2_6", es_felicitacion=False)
    act(engine, people, "asesor", case, "ut_5_2_7", complejidad="baja", analisis="Se responde ya.")
    f.complete_services(engine, LEGACY)
    act(
        engine,
        people,
        "asesor",
        case,
        "ut_5_2_8",
        escalar=False,
        justificacion_escalamiento="La información está en C&CTEX.",
    )
    draft(engine, people, case)
    return case


def test_a_second_quality_review_opens_blank_and_the_draft_carries_over(desk):
    engine, people = desk
    case = answered_directly(engine, people)
    first = view(engine, people, "calidad", case, "ut_5_2_15")
    assert first.prefill == {}
    act(engine, people, "calidad", case, "ut_5_2_15", **REJECTION)

    correcting = view(engine, people, "asesor", case, "ut_5_2_14")
    assert correcting.prefill["plantilla"] == "respuesta_de_fondo"  # x-conservar
    assert "reversado el 12 de marzo" in correcting.prefill["respuesta"]
    act(
        engine,
        people,
        "asesor",
        case,
        "ut_5_2_14",
        plantilla="respuesta_de_fondo",
        respuesta="El cobro duplicado fue reversado el 12 de marzo de 2026.",
    )

    second = view(engine, people, "calidad", case, "ut_5_2_15")
    assert second.data["cumple"] is False  # the process still holds the earlier verdict...
    assert second.prefill == {}  # ...but the second review does not open with it
    act(
        engine,
        people,
        "calidad",
        case,
        "ut_5_2_15",
        cumple=True,
        acorde=True,
        clara=True,
        sin_errores_forma=True,
    )

    # The approval left the note blank: the earlier round's note is gone from the process.
    classifying = view(engine, people, "calidad", case, "ut_5_2_16")
    assert classifying.data["cumple"] is True
    assert "observaciones_calidad" not in classifying.data
    assert "reversado el 12 de marzo de 2026" in classifying.data["respuesta"]


def test_the_monthly_report_review_opens_blank_after_the_adjustments(desk):
    engine, people = desk
    report = started(engine, "informe_mensual")
    f.complete_services(engine)

    def step(bpmn_id, **data):
        task = ready(engine, report)
        assert task.bpmn_id == bpmn_id
        if data:
            engine.complete_task(task.id, people[task.candidate_group], data)
        return engine.task_view(task.id, people[task.candidate_group])

    step("ut_5_2_23", comentarios_reportes="Indicadores del mes.")
    step(
        "ut_5_2_24", hay_observaciones=True, observaciones_reportes="Falta el detalle de vencidos."
    )
    assert step("ut_5_2_25").prefill == {}
    step("ut_5_2_25", ajustes_realizados="Se agregó el detalle de vencidos.")
    f.complete_services(engine)
    again = step("ut_5_2_24")
    assert again.data["observaciones_reportes"] == "Falta el detalle de vencidos."
    assert again.prefill == {}


def test_what_the_process_sets_for_a_new_round_is_still_shown():
    schema = {
        "properties": {
            "radicado": {"type": "string"},
            "calificacion": {"type": "number", "readOnly": True},
            "nota": {"type": "string"},
            "borrador": {"type": "string", "x-conservar": True},
        }
    }
    earlier = {"radicado": "AV-2026-000001", "calificacion": 80, "nota": "x", "borrador": "b"}
    data = {"radicado": "AV-2026-000002", "calificacion": 80, "nota": "x", "borrador": "b"}
    assert forms.carried_over(schema, data, earlier) == {
        "radicado": "AV-2026-000002",  # a script set it for this round
        "calificacion": 80,  # read-only: computed by the process
        "borrador": "b",  # carries over by the form's word
    }
    assert forms.carried_over(schema, data, None) == data  # the first round shows everything

"""The weekly audit's rules: the sample's size, the F182 score from the decision table, the
week an audit covers."""

from datetime import date, datetime

import pytest

from engine import audits
from engine.clock import BOGOTA
from engine.definitions import parse, read_directory
from engine.runtime import Engine
from tests import factories as f
from tests.factories import ROOT

CYCLE = "R/2026-01-05T07:00:00-05:00/P1W"


@pytest.fixture(scope="module")
def decide():
    return parse(read_directory(ROOT)).decide


@pytest.mark.parametrize(
    ("population", "expected"),
    [(0, 0), (1, 1), (10, 10), (50, 34), (1000, 88), (100_000, 96)],
)
def test_the_sample_grows_with_the_population_and_levels_off(population, expected):
    # 95 % confidence, ±10 %: 96.04 cases for an infinite population, fewer for a small week.
    assert audits.sample_size(population, 0.95, 0.10) == expected


def test_a_tighter_margin_needs_more_cases():
    assert audits.sample_size(1000, 0.95, 0.05) > audits.sample_size(1000, 0.95, 0.10)
    with pytest.raises(ValueError):
        audits.sample_size(10, 1.5, 0.1)


def record(**changes):
    base = {
        "radicado": "AV-2026-000001",
        "respuesta_en_24h": True,
        "respuesta_en_termino": True,
        "agente_efectivo": True,
        "calidad_redaccion_ortografia": "alta",
        "incluye_chat": False,
    }
    return {**base, **changes}


def test_a_case_that_meets_every_parameter_scores_100(decide):
    scored = audits.score_record(record(), decide)
    assert scored["puntaje"] == 100
    assert scored["inconsistencias"] == []


def test_the_decision_table_weighs_each_criterion_and_names_the_inconsistencies(decide):
    scored = audits.score_record(
        record(respuesta_en_24h=False, calidad_redaccion_ortografia="media"), decide
    )
    assert scored["puntaje"] == 55  # 0 + 40 + 15 of 30 + 40 + 30
    assert scored["inconsistencias"] == [
        "La primera respuesta no se dio dentro de las 24 horas.",
        "La respuesta tiene errores menores de redacción u ortografía.",
    ]
    late = audits.score_record(record(respuesta_en_termino=False), decide)
    assert late["puntaje"] == 100  # the legal term weighs nothing but is an inconsistency
    assert late["inconsistencias"] == ["La respuesta final se envió después del término legal."]


def test_the_chat_section_is_scored_only_for_a_chat_case(decide):
    chat = {
        "chat_tiempo_espera_min": 12,
        "chat_respuesta_efectiva": True,
        "chat_calidad_redaccion_ortografia": "alta",
        "chat_registrado_crm": True,
    }
    scored = audits.score_record(record(incluye_chat=True, chat=chat), decide)
    assert "chat_tiempo_espera_min" in scored["criterios"]
    assert scored["puntaje"] == 90  # (100 + 80) of (100 + 100)
    assert scored["inconsistencias"] == ["El usuario esperó más de 5 minutos en el chat."]
    portal = audits.score_record(record(chat=chat), decide)
    assert "chat_tiempo_espera_min" not in portal["criterios"]


def test_a_day_belongs_to_the_audit_that_starts_the_monday_after_its_week():
    period = audits.period_covering(CYCLE, date(2026, 3, 4))  # a Wednesday
    assert period == datetime(2026, 3, 9, 7, tzinfo=BOGOTA)
    sunday = audits.period_covering(CYCLE, date(2026, 3, 8))
    assert sunday == period


def test_the_record_of_a_week_without_answered_cases_says_so(session, clock):
    """The audit_sample operator records the week; an empty sample leaves the note the audit
    pages show (the diagram then ends the audit at gw_hay_casos)."""
    engine = Engine(session, clock)
    f.deploy(engine)
    instance = engine.start("auditoria_calidad", {"periodo": "2026-03-16T07:00:00-05:00"}, "a@1")
    now = clock.now()
    sample = {
        "muestra": [],
        "desde": "2026-03-09T07:00:00-05:00",
        "hasta": "2026-03-16T07:00:00-05:00",
        "poblacion": 0,
        "confianza": 0.95,
        "margen_error": 0.1,
        "estratos": {},
    }
    audit = audits.record_sample(session, instance.id, now, sample, now)
    assert audit.sample_size == 0
    assert audit.narrative == "Sin casos respondidos en la semana."

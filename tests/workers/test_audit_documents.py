"""The weekly audit's report model, its draft narrative and its PDF, from scored F182s."""

import io
from datetime import UTC, datetime

from pypdf import PdfReader

from engine import audits
from engine.definitions import parse, read_directory
from tests.factories import ROOT
from workers.documents import audit_report as document
from workers.operators.audit_report import NO_ISSUES, draft_narrative, report_model

PERIOD = datetime(2026, 3, 16, 12, tzinfo=UTC)


def record(radicado: str, **changes):
    return {
        "radicado": radicado,
        "tipo": "Reclamo",
        "canal": "portal",
        "fecha_ingreso": "2026-03-10T08:00-05:00",
        "fecha_hora_primera_respuesta": "2026-03-10T09:00-05:00",
        "fecha_hora_respuesta": "2026-03-11T10:00-05:00",
        "respuesta_en_24h": True,
        "respuesta_en_termino": True,
        "agente_efectivo": True,
        "calidad_redaccion_ortografia": "alta",
        "funcionario_responsable": "Ana Pérez",
        "veces_registrado_crm": 6,
        "observaciones": "Sin novedad.",
        "incluye_chat": False,
        **changes,
    }


def model_of(records, earlier=()):
    decide = parse(read_directory(ROOT)).decide
    scores = [audits.score_record(r, decide) for r in records]
    sampling = {"poblacion": 40, "confianza": 0.95, "margen_error": 0.1, "estratos": {}}
    return report_model(PERIOD, records, scores, list(earlier), sampling)


def test_the_report_has_scores_rating_evidence_and_the_trend_of_earlier_weeks():
    model = model_of(
        [record("AV-2026-000001"), record("AV-2026-000002", agente_efectivo=False)],
        earlier=[
            (datetime(2026, 3, 2, 12, tzinfo=UTC), 80.0),
            (datetime(2026, 3, 9, 12, tzinfo=UTC), 90.0),
        ],
    )
    assert [c["puntaje"] for c in model["casos"]] == [100, 60]
    assert model["calificacion_servicio"] == 80
    issue = model["inconsistencias"][0]
    assert issue["radicado"] == "AV-2026-000002"
    assert issue["hallazgos"] == [
        "El agente no fue efectivo en la respuesta (oportunidad, coherencia, pertinencia o "
        "solución)."
    ]
    assert "Respuesta elaborada por Ana Pérez; el caso se trabajó 6 veces." in issue["evidencia"]
    assert [t["calificacion"] for t in model["tendencia"]] == [80.0, 90.0, 80]
    assert model["periodo"] == "semana del 9 mar al 15 mar 2026"
    assert NO_ISSUES not in draft_narrative(model)


def test_no_inconsistencies_is_said_only_when_there_are_none():
    model = model_of([record("AV-2026-000001")])
    assert model["inconsistencias"] == []
    assert NO_ISSUES in draft_narrative(model)


def test_the_pdf_opens_and_holds_the_figures():
    model = model_of([record("AV-2026-000001"), record("AV-2026-000002", respuesta_en_24h=False)])
    pdf = document.render(model, "Narrativa de la semana.", "AV-2026-000002: tarde.", PERIOD)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for figure in ("85 sobre 100", "AV-2026-000001", "AV-2026-000002", "Narrativa de la semana."):
        assert figure in text, figure
    assert "?" not in text  # every character on the core fonts (no lost «a. m.» spaces)

"""The monthly report's pure pieces: what changed between reviews, the month arithmetic, and
the document every output is drawn from."""

from datetime import datetime

from engine.clock import BOGOTA
from workers.documents.monthly_report import document, month_name
from workers.operators.monthly_report import changes, month_starting


def test_only_the_figures_that_moved_are_listed_as_changes():
    before = {"reporte": {"casos_radicados": 5, "vencidos": {"total": 2}}}
    now = {"casos_radicados": 5, "vencidos": {"total": 1}}
    assert changes(before, now) == [{"indicador": "Casos vencidos", "antes": 2, "ahora": 1}]
    assert changes(None, now) == []


def test_months_back_cross_the_year():
    first, following = month_starting(datetime(2026, 2, 1, tzinfo=BOGOTA), 3)
    assert (first.date().isoformat(), following.date().isoformat()) == ("2025-11-01", "2025-12-01")
    assert month_name("2026-03") == "marzo de 2026"


def test_the_document_has_one_section_per_indicator_group_and_no_empty_charts():
    report = {
        "periodo": "2026-03",
        "calculado_en": "2026-04-01T08:00:00-05:00",
        "casos_radicados": 3,
        "por_tipo": {"Reclamo": 3},
        "revision_calidad": {"porcentaje": 40.0, "minimo": 50, "cumple_minimo": False},
        "ajustes": ["Se corrigió el conteo."],
    }
    built = document(report, {"resumen": "Resumen del mes."})
    assert [s.name for s in built.sections] == [
        "Resumen",
        "Volumen",
        "Oportunidad",
        "Calidad",
        "Alertas y vencidos",
    ]
    volume = built.sections[1]
    assert [c.title for c in volume.charts] == ["Casos por tipo"]  # the others have no data
    assert "por debajo del mínimo del 50 %" in built.sections[0].notes[0]
    assert ("Resumen ejecutivo", "Resumen del mes.") in built.summary

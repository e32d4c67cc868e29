"""One chart description drawn three ways: page SVG, PDF PNG and a native spreadsheet chart."""

import pytest
from lxml import etree
from openpyxl import Workbook, load_workbook

from workers.documents.charts import Chart, add_to_sheet, chart, format_value, png, svg


def monthly_share() -> Chart:
    return chart(
        "Respuestas revisadas",
        "bar",
        ["Enero", "Febrero", "Marzo"],
        {"Revisadas": [55.0, 48.5, None]},
        units="%",
        target=50.0,
        target_label="Mínimo 50 %",
    )


def test_svg_is_an_accessible_image_without_style_attributes():
    markup = svg(monthly_share(), element_id="share")
    root = etree.fromstring(markup.encode())
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "share-title share-desc"
    assert "style=" not in markup  # the pages' CSP forbids inline styles
    description = root.find("{http://www.w3.org/2000/svg}desc").text
    assert "Febrero: 48,5 %" in description
    assert "Marzo: sin datos" in description
    assert "Mínimo 50 %: 50" in description


def test_svg_escapes_titles():
    markup = svg(chart("<b>&", "line", ["a<"], {"x": [1.0]}))
    etree.fromstring(markup.encode())
    assert "<b>" not in markup


def test_png_is_a_png():
    data = png(monthly_share())
    assert data.startswith(b"\x89PNG")


def test_sheet_gets_numbers_and_a_native_chart(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    last = add_to_sheet(sheet, monthly_share(), "E2", data_row=1)
    assert last == 5
    path = tmp_path / "chart.xlsx"
    workbook.save(path)
    reopened = load_workbook(path)
    ws = reopened.active
    assert ws["B3"].value == 55 and isinstance(ws["B3"].value, int | float)
    assert ws["A4"].value == "Febrero"
    assert ws["C3"].value == 50.0
    assert len(workbook.active._charts) == 1


def test_series_must_match_categories():
    with pytest.raises(ValueError):
        chart("x", "bar", ["a", "b"], {"s": [1.0]})


def test_figures_read_in_spanish():
    assert format_value(1234.5, "h") == "1.234,5 h"
    assert format_value(3.0) == "3"
    assert format_value(None) == "sin datos"

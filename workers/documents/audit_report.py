"""The weekly audit report (5.2.19) as a PDF on the letterhead, from the report model.

The model is the plain data ``workers/operators/audit_report.py`` computes; nothing is
recomputed here. ``charts_of(model)`` describes the report's charts once: the pages draw them
as SVG and the PDF embeds them as PNG (workers/documents/charts.py); the figures are also
written as text, so they stay extractable.
"""

import io
from datetime import datetime
from typing import Any

from workers.documents import charts
from workers.documents.charts import format_value
from workers.documents.letters import Letterhead, LetterheadPdf, latin1, spanish_date


def charts_of(model: dict[str, Any]) -> dict[str, charts.Chart]:
    """The report's charts: scores per case, compliance per criterion, the rating's trend."""
    found = {}
    if model.get("casos"):
        found["puntajes"] = charts.chart(
            "Puntaje por caso (0 a 100)",
            "bar",
            [c["radicado"] for c in model["casos"]],
            {"Puntaje": [c["puntaje"] for c in model["casos"]]},
            units="puntos",
        )
    if model.get("criterios"):
        found["criterios"] = charts.chart(
            "Cumplimiento por criterio (% de casos)",
            "bar",
            [r.get("corto") or r["titulo"] for r in model["criterios"]],
            {"Cumplimiento": [r["cumplimiento"] for r in model["criterios"]]},
            units="%",
            description="; ".join(
                f"{r['titulo']}: {format_value(r['cumplimiento'])} %" for r in model["criterios"]
            ),
        )
    if model.get("tendencia"):
        found["tendencia"] = charts.chart(
            "Calificación del servicio por semana",
            "line",
            [t.get("inicio") or t["semana"] for t in model["tendencia"]],
            {"Calificación": [t["calificacion"] for t in model["tendencia"]]},
            units="puntos",
        )
    return found


def _chart(pdf: LetterheadPdf, chart: charts.Chart) -> None:
    width = (pdf.w - pdf.l_margin - pdf.r_margin) * 0.8
    height = width * 3.4 / 7.0
    if pdf.get_y() + height > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.image(io.BytesIO(charts.png(chart)), x=(pdf.w - width) / 2, w=width)
    pdf.ln(2)


BLUE = (0, 62, 126)
GREY = (90, 90, 90)


def _heading(pdf: LetterheadPdf, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.set_text_color(*BLUE)
    pdf.multi_cell(0, 7, latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", "", 10)


def _paragraph(pdf: LetterheadPdf, text: str) -> None:
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")


def _table(pdf: LetterheadPdf, header: list[str], widths: list[int], rows: list[list[str]]) -> None:
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_fill_color(230, 234, 240)
    for title, width in zip(header, widths, strict=True):
        pdf.cell(width, 6, latin1(title), border=1, fill=True)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for row in rows:
        if pdf.get_y() + 6 > pdf.h - pdf.b_margin:
            pdf.add_page()
        for text, width in zip(row, widths, strict=True):
            pdf.cell(width, 6, latin1(text[: max(4, width // 2)]), border=1)
        pdf.ln()


def render(
    model: dict[str, Any],
    narrative: str,
    issues_text: str,
    date: datetime,
    head: Letterhead | None = None,
) -> bytes:
    head = head or Letterhead()
    pdf = LetterheadPdf(head, f"Informe de auditoría de calidad - {model['periodo']}")
    pdf.set_creation_date(date)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(
        0,
        8,
        latin1("Informe de auditoría de calidad - Atención Virtual"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(
        0,
        6,
        latin1(f"{model['periodo'].capitalize()} - {spanish_date(date)}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    rating = model.get("calificacion_servicio")
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 12)
    shown = f"{format_value(rating)} sobre 100" if rating is not None else "sin casos auditados"
    pdf.cell(0, 7, latin1(f"Calificación del servicio: {shown}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    sampling = model.get("muestreo") or {}
    audited = model["casos_auditados"]
    if sampling.get("poblacion") is not None:
        _paragraph(
            pdf,
            f"Casos auditados: {audited} de {sampling['poblacion']} respondidos en la semana "
            f"(confianza {100 * (sampling.get('confianza') or 0):g} %, margen de error "
            f"{100 * (sampling.get('margen_error') or 0):g} %).",
        )
    else:
        _paragraph(pdf, f"Casos auditados: {audited}.")

    _heading(pdf, "Narrativa del Profesional OCM")
    _paragraph(pdf, narrative)

    if model["casos"]:
        _heading(pdf, "Puntaje por caso")
        _table(
            pdf,
            ["Radicado", "Tipo", "Canal", "Puntaje"],
            [40, 50, 40, 30],
            [
                [
                    c["radicado"],
                    c.get("tipo") or "",
                    c.get("canal") or "",
                    f"{format_value(c['puntaje'])}",
                ]
                for c in model["casos"]
            ],
        )
    drawn = charts_of(model)
    if "puntajes" in drawn:
        _chart(pdf, drawn["puntajes"])
    if model["criterios"]:
        _heading(pdf, "Cumplimiento por criterio (% de casos)")
        for row in model["criterios"]:
            _paragraph(
                pdf,
                f"{row['titulo']}: {format_value(row['cumplimiento'])} % de {row['casos']} casos",
            )
        _chart(pdf, drawn["criterios"])
    if model.get("tendencia"):
        _heading(pdf, "Tendencia de la calificación (últimas semanas)")
        _paragraph(
            pdf,
            "; ".join(
                f"{t['semana']}: {format_value(t['calificacion'])}" for t in model["tendencia"]
            ),
        )
        _chart(pdf, drawn["tendencia"])

    _heading(pdf, "Inconsistencias")
    if model["inconsistencias"]:
        _paragraph(pdf, issues_text or "")
    else:
        _paragraph(pdf, "No se encontraron inconsistencias en los casos auditados.")
    pdf.ln(4)
    pdf.set_text_color(*GREY)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(
        0,
        4,
        latin1(
            "Puntajes calculados con los parámetros de calificación del formato F182 "
            "(tabla de decisión calificacion_f182 de la versión desplegada del proceso)."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())

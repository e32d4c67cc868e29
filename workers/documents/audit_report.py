"""The weekly audit report (5.2.19) as a PDF on the letterhead, from the report model.

The model is the plain data ``workers/operators/audit_report.py`` computes; nothing is
recomputed here. Charts are drawn with fpdf2's own shapes (bars), so the file stays small and
its figures stay extractable as text.
"""

from datetime import datetime
from typing import Any

from workers.documents.letters import Letterhead, LetterheadPdf, latin1, spanish_date

BLUE = (0, 62, 126)
GREEN = (27, 122, 47)
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


def _bars(pdf: LetterheadPdf, rows: list[tuple[str, float]], unit: str, color: tuple) -> None:
    """Horizontal bars on a 0–100 scale, each labelled with its value."""
    label_width, bar_width, height = 62, pdf.w - pdf.l_margin - pdf.r_margin - 80, 6
    for label, value in rows:
        if pdf.get_y() + height + 2 > pdf.h - pdf.b_margin:
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_font("Helvetica", "", 9)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_width, height, latin1(label[:40]))
        x = pdf.l_margin + label_width
        pdf.set_fill_color(230, 234, 240)
        pdf.rect(x, y + 1, bar_width, height - 2, style="F")
        pdf.set_fill_color(*color)
        pdf.rect(x, y + 1, bar_width * max(0.0, min(value, 100.0)) / 100, height - 2, style="F")
        pdf.set_xy(x + bar_width + 2, y)
        pdf.cell(16, height, latin1(f"{value:g}{unit}"))
        pdf.set_xy(pdf.l_margin, y + height + 1)
    pdf.ln(2)


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
    shown = f"{rating:g} sobre 100" if rating is not None else "sin casos auditados"
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
                [c["radicado"], c.get("tipo") or "", c.get("canal") or "", f"{c['puntaje']:g}"]
                for c in model["casos"]
            ],
        )
        _heading(pdf, "Cumplimiento por criterio (% de casos)")
        _bars(pdf, [(r["titulo"], r["cumplimiento"]) for r in model["criterios"]], " %", BLUE)
    if model.get("tendencia"):
        _heading(pdf, "Tendencia de la calificación (últimas semanas)")
        _bars(pdf, [(t["semana"], t["calificacion"]) for t in model["tendencia"]], "", GREEN)

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

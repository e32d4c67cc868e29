"""A report as plain data (sections of tables, charts and notes), and its XLSX and PDF.

Every report (the monthly contract report, the failure report, the legal reports) is first a
``ReportDocument``; the page, the spreadsheet and the PDF are drawn from that one model, so a
figure can never differ between them. Cells hold numbers as numbers (``None`` = no data);
formatting for people happens when drawing.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from workers.documents import charts as chartlib
from workers.documents.letters import Letterhead, LetterheadPdf, latin1, spanish_date

Cell = str | int | float | None

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    # Columns (by index) that hold percentages: shown with "%", stored as plain numbers.
    percent_columns: tuple[int, ...] = ()

    @classmethod
    def of(
        cls,
        title: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        percent_columns: Sequence[int] = (),
    ) -> "Table":
        return cls(title, tuple(columns), tuple(tuple(r) for r in rows), tuple(percent_columns))


@dataclass(frozen=True)
class Section:
    """One indicator group: a sheet in the XLSX, a heading in the PDF and on the page."""

    name: str  # the sheet's name (at most 31 characters)
    title: str
    tables: tuple[Table, ...] = ()
    charts: tuple[chartlib.Chart, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A chart with nothing to plot is left out (its table says "Sin registros").
        drawn = tuple(c for c in self.charts if c.categories and c.series)
        object.__setattr__(self, "charts", drawn)


@dataclass(frozen=True)
class ReportDocument:
    title: str
    subtitle: str
    generated_at: datetime
    sections: tuple[Section, ...]
    filename: str  # without extension
    summary: tuple[tuple[str, str], ...] = field(default=())  # (label, text) paragraphs


def cell_text(value: Cell, percent: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, int | float):
        return chartlib.format_value(float(value), "%" if percent else "")
    return str(value)


# --- XLSX --------------------------------------------------------------------------------------

_HEADER_FILL = PatternFill("solid", fgColor="003E7E")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_TITLE_FONT = Font(bold=True, size=14)
_HEADING_FONT = Font(bold=True, size=12)


def xlsx(document: ReportDocument) -> bytes:
    workbook = Workbook()
    first = workbook.active
    workbook.remove(first)
    summary = workbook.create_sheet("Portada")
    summary["A1"] = document.title
    summary["A1"].font = _TITLE_FONT
    summary["A2"] = document.subtitle
    summary["A3"] = f"Generado el {spanish_date(document.generated_at)}"
    row = 5
    for label, text in document.summary:
        summary.cell(row=row, column=1, value=label).font = _HEADING_FONT
        summary.cell(row=row + 1, column=1, value=text).alignment = Alignment(wrap_text=True)
        row += 3
    summary.column_dimensions["A"].width = 100

    for section in document.sections:
        ws = workbook.create_sheet(section.name[:31])
        ws["A1"] = section.title
        ws["A1"].font = _TITLE_FONT
        row = 3
        for note in section.notes:
            ws.cell(row=row, column=1, value=note)
            row += 1
        if section.notes:
            row += 1
        widths: dict[int, int] = {}
        for table in section.tables:
            ws.cell(row=row, column=1, value=table.title).font = _HEADING_FONT
            row += 1
            for index, name in enumerate(table.columns, start=1):
                header = ws.cell(row=row, column=index, value=name)
                header.fill, header.font = _HEADER_FILL, _HEADER_FONT
                widths[index] = max(widths.get(index, 10), min(len(name) + 2, 60))
            for values in table.rows:
                row += 1
                for index, value in enumerate(values, start=1):
                    target = ws.cell(row=row, column=index, value=value)
                    if isinstance(value, float):
                        target.number_format = "0.0"
                    if isinstance(value, str):
                        widths[index] = max(widths.get(index, 10), min(len(value) + 2, 60))
            row += 2
        for index, width in widths.items():
            ws.column_dimensions[get_column_letter(index)].width = width
        # Each chart's data goes below the tables, the native chart to the right of them.
        data_row = row + 1
        anchor_row = 3
        for chart in section.charts:
            last = chartlib.add_to_sheet(
                ws, chart, f"{get_column_letter(max(widths, default=1) + 2)}{anchor_row}", data_row
            )
            data_row = last + 3
            anchor_row += 17
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- PDF ---------------------------------------------------------------------------------------


def pdf(document: ReportDocument, head: Letterhead | None = None) -> bytes:
    head = head or Letterhead()
    out = LetterheadPdf(head, document.title)
    out.set_creation_date(document.generated_at)
    out.set_margins(18, 20, 18)
    out.add_page()
    out.set_font("Helvetica", "B", 15)
    out.multi_cell(0, 8, latin1(document.title), new_x="LMARGIN", new_y="NEXT")
    out.set_font("Helvetica", "", 10)
    out.multi_cell(0, 5, latin1(document.subtitle), new_x="LMARGIN", new_y="NEXT")
    out.cell(
        0,
        5,
        latin1(f"Generado el {spanish_date(document.generated_at)}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    out.ln(3)
    for label, text in document.summary:
        out.set_font("Helvetica", "B", 11)
        out.cell(0, 6, latin1(label), new_x="LMARGIN", new_y="NEXT")
        out.set_font("Helvetica", "", 10)
        out.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        out.ln(2)
    for section in document.sections:
        _pdf_section(out, section)
    return bytes(out.output())


def _pdf_section(out: FPDF, section: Section) -> None:
    if out.get_y() > out.h - 70:
        out.add_page()
    out.ln(2)
    out.set_font("Helvetica", "B", 13)
    out.set_text_color(0, 62, 126)
    out.multi_cell(0, 7, latin1(section.title), new_x="LMARGIN", new_y="NEXT")
    out.set_text_color(0, 0, 0)
    out.set_font("Helvetica", "", 9)
    for note in section.notes:
        out.multi_cell(0, 5, latin1(note), new_x="LMARGIN", new_y="NEXT")
    for table in section.tables:
        _pdf_table(out, table)
    width = (out.w - out.l_margin - out.r_margin) * 0.85
    for chart in section.charts:
        height = width * 3.4 / 7.0
        if out.get_y() + height > out.h - 25:
            out.add_page()
        out.image(io.BytesIO(chartlib.png(chart)), x=out.l_margin, w=width, h=height)
        out.ln(2)


def _pdf_table(out: FPDF, table: Table) -> None:
    out.set_font("Helvetica", "B", 10)
    out.multi_cell(0, 6, latin1(table.title), new_x="LMARGIN", new_y="NEXT")
    if not table.rows:
        out.set_font("Helvetica", "I", 9)
        out.cell(0, 5, "Sin registros en el periodo.", new_x="LMARGIN", new_y="NEXT")
        out.ln(1)
        return
    out.set_font("Helvetica", "", 8)
    rows = [
        tuple(latin1(cell_text(v, i in table.percent_columns)) for i, v in enumerate(r))
        for r in table.rows
    ]
    with out.table(
        headings_style=_pdf_heading_style(),
        line_height=4.5,
        text_align="LEFT",
        first_row_as_headings=True,
    ) as grid:
        header = grid.row()
        for name in table.columns:
            header.cell(latin1(name))
        for values in rows:
            line = grid.row()
            for value in values:
                line.cell(value)
    out.ln(2)


def _pdf_heading_style() -> Any:
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=(0, 62, 126))

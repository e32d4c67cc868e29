"""PDF letters on the entity's letterhead, built with fpdf2.

fpdf2 is a pure-Python wheel (no system libraries, no compiler), actively released, and small
enough to read; its core fonts keep files light and their text extractable. The answer letter
(the citizen's download and the final-answer e-mail) is one ``Letter``; reports reuse
``LetterheadPdf`` for their own pages.
"""

from dataclasses import dataclass, field
from datetime import datetime

from babel.dates import format_date
from fpdf import FPDF

from engine.clock import BOGOTA
from engine.models import Case, User

# The core fonts speak Latin-1: typographic characters outside it get their plain equivalents.
_PLAIN = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "‘": "'",
        "’": "'",
        "–": "-",
        "—": "-",
        "…": "...",
        "•": "-",
        "€": "EUR",
        "\u00a0": " ",
        "\u202f": " ",  # Babel's narrow no-break space (before "a. m.")
        "\u200b": "",
    }
)


def latin1(text: str) -> str:
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class Letterhead:
    entity: str = "ICETEX"
    full_name: str = "Instituto Colombiano de Crédito Educativo y Estudios Técnicos en el Exterior"
    unit: str = "Grupo de Atención al Usuario - Oficina Comercial y de Mercadeo"
    address: str = "Carrera 3 No. 18-32, Bogotá D.C., Colombia"
    website: str = "www.icetex.gov.co"
    city: str = "Bogotá D.C."


@dataclass(frozen=True)
class Letter:
    radicado: str
    date: datetime
    recipient: str
    recipient_lines: list[str]
    subject: str
    body: str
    annexes: list[str] = field(default_factory=list)
    signature: str = "Grupo de Atención al Usuario - ICETEX"


class LetterheadPdf(FPDF):
    """A4 pages with the entity's header and a footer with its address and the page number."""

    def __init__(self, head: Letterhead, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.head = head
        self.set_title(latin1(title))
        self.set_author(latin1(head.entity))
        self.set_margins(25, 20, 25)
        self.set_auto_page_break(auto=True, margin=25)
        self.alias_nb_pages()

    def header(self) -> None:
        self.set_font("Helvetica", "B", 16)
        self.set_text_color(0, 62, 126)
        self.cell(0, 8, latin1(self.head.entity), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)
        self.set_text_color(60, 60, 60)
        self.cell(0, 5, latin1(self.head.full_name), new_x="LMARGIN", new_y="NEXT")
        self.cell(0, 5, latin1(self.head.unit), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(0, 62, 126)
        self.set_line_width(0.6)
        self.line(self.l_margin, self.get_y() + 2, self.w - self.r_margin, self.get_y() + 2)
        self.ln(8)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-18)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(90, 90, 90)
        place = f"{self.head.address} - {self.head.website}"
        self.cell(0, 4, latin1(place), align="C", new_x="LMARGIN", new_y="NEXT")
        self.cell(
            0,
            4,
            latin1(f"Página {self.page_no()} de {{nb}}"),
            align="C",
        )


def spanish_date(moment: datetime) -> str:
    return format_date(moment.astimezone(BOGOTA).date(), "d 'de' MMMM 'de' y", locale="es_CO")


def render(letter: Letter, head: Letterhead | None = None) -> bytes:
    head = head or Letterhead()
    pdf = LetterheadPdf(head, f"Respuesta al radicado {letter.radicado}")
    pdf.set_creation_date(letter.date)  # the same letter gives the same bytes
    pdf.add_page()
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(
        0, 6, latin1(f"{head.city}, {spanish_date(letter.date)}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, latin1(f"Radicado: {letter.radicado}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, latin1("Señor(a)"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(0, 6, latin1(letter.recipient), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for line in letter.recipient_lines:
        pdf.multi_cell(0, 6, latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(0, 6, latin1(f"Asunto: {letter.subject}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, latin1(letter.body), new_x="LMARGIN", new_y="NEXT")
    if letter.annexes:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 6, "Anexos:", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for name in letter.annexes:
            pdf.multi_cell(0, 6, latin1(f"- {name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.cell(0, 6, "Cordialmente,", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, latin1(letter.signature), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def answer_letter(
    case: Case,
    citizen: User,
    type_name: str,
    annexes: list[str],
    answer: str | None = None,
    date: datetime | None = None,
) -> Letter:
    """The final answer of ``case`` as a letter: the one on record, or the one being sent."""
    answer = answer if answer is not None else case.answer
    date = date or case.answered_at
    if not answer or date is None:
        raise ValueError("El caso aún no tiene respuesta final.")
    lines = [f"Documento: {citizen.document_number}"] if citizen.document_number else []
    lines += [line for line in (citizen.address, citizen.email) if line]
    opening = (
        f"En atención a su {type_name.lower()} radicada el {spanish_date(case.filed_at)} "
        f"con el número {case.radicado}, le damos la siguiente respuesta:"
    )
    return Letter(
        radicado=case.radicado,
        date=date,
        recipient=citizen.full_name,
        recipient_lines=lines,
        subject=f"Respuesta a su {type_name.lower()} - {case.subject}",
        body=f"{opening}\n\n{answer}",
        annexes=annexes,
    )

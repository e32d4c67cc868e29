"""The failure report (reporte de fallas) as a ``ReportDocument``: a summary by process leader
and term, and one row per missed term (which case, which term, how late, its state now)."""

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from babel.dates import format_date, format_datetime

from engine.clock import BOGOTA
from engine.failure_report import TERMS, Failure
from workers.documents.charts import chart
from workers.documents.report_document import ReportDocument, Section, Table

TERM_NAMES = {
    "primera_respuesta": "Primera respuesta",
    "area": "Término del área",
    "legal": "Término legal",
}


def moment_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return format_datetime(moment.astimezone(BOGOTA), "d MMM y, h:mm a", locale="es_CO")


def period_text(start: datetime, end: datetime) -> str:
    """``[start, end)`` as people say it: from the first day to the last day included."""
    first = start.astimezone(BOGOTA).date()
    last = (end.astimezone(BOGOTA) - timedelta(seconds=1)).date()
    pattern = "d 'de' MMMM 'de' y"
    return (
        f"del {format_date(first, pattern, locale='es_CO')} "
        f"al {format_date(last, pattern, locale='es_CO')}"
    )


def document(
    found: list[Failure],
    start: datetime,
    end: datetime,
    now: datetime,
    group_name: Callable[[str | None], str],
    status_name: Callable[[str], str],
    leader: str | None = None,
) -> ReportDocument:
    by_leader = Counter((f.leader, f.term) for f in found)
    leaders = sorted({f.leader for f in found}, key=group_name)
    summary = Table.of(
        "Fallas por líder del proceso y término",
        ("Líder del proceso", *(TERM_NAMES[t] for t in TERMS), "Total"),
        [
            (
                group_name(code),
                *(by_leader[(code, t)] for t in TERMS),
                sum(by_leader[(code, t)] for t in TERMS),
            )
            for code in leaders
        ],
    )
    per_term = Counter(f.term for f in found)
    term_chart = chart(
        "Fallas por término",
        "bar",
        [TERM_NAMES[t] for t in TERMS],
        {"Fallas": [per_term[t] for t in TERMS]},
    )
    rows = Table.of(
        "Casos con términos incumplidos",
        (
            "Radicado",
            "Término",
            "Líder del proceso",
            "Vencía",
            "Cumplido",
            "Horas de retraso",
            "Estado actual",
        ),
        [
            (
                f.radicado,
                TERM_NAMES.get(f.term, f.term),
                group_name(f.leader),
                moment_text(f.due),
                moment_text(f.met_at) or ("Pendiente" if f.pending else "Atendido por el área"),
                f.late_hours,
                status_name(f.status),
            )
            for f in found
        ],
    )
    who = f" - {group_name(leader)}" if leader else ""
    span = period_text(start, end)
    return ReportDocument(
        title=f"Reporte de fallas{who}",
        subtitle=f"Términos incumplidos {span} ({len(found)} en total)",
        generated_at=now,
        sections=(
            Section("Resumen", "Resumen", (summary,), (term_chart,) if found else ()),
            Section("Fallas", "Detalle de las fallas", (rows,)),
        ),
        filename=f"reporte-fallas-{start.astimezone(BOGOTA).date().isoformat()}",
    )

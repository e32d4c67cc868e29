"""The legal reports as ``ReportDocument``s (page, XLSX and PDF): Ley 1474 de 2011 art. 76
and Ley 1712 de 2014 / Decreto 103 de 2015 art. 52."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from workers.documents.charts import Chart, chart
from workers.documents.failure_report import moment_text, period_text
from workers.documents.report_document import ReportDocument, Section, Table

KINDS = {
    "pqrs": "Informe de PQRS (Ley 1474 de 2011, art. 76)",
    "informacion": "Informe de solicitudes de acceso a la información "
    "(Ley 1712 de 2014, Decreto 103 de 2015, art. 52)",
}


def _counts(
    title: str, counts: dict[str, int], name: str, label: Callable[[str], str]
) -> tuple[Table, Chart]:
    rows = [(label(code), n) for code, n in counts.items()]
    return Table.of(title, (name, "Solicitudes"), rows), chart(
        title, "bar", [r[0] for r in rows], {"Solicitudes": [r[1] for r in rows]}
    )


def pqrs_document(
    figures: dict[str, Any],
    start: datetime,
    end: datetime,
    now: datetime,
    label: Callable[[str, str], str],
    group_name: Callable[[str | None], str],
) -> ReportDocument:
    totals = Table.of(
        "Totales del periodo",
        ("Indicador", "Valor"),
        [
            ("Solicitudes recibidas", figures["recibidas"]),
            ("Respondidas", figures["respondidas"]),
            ("Respondidas dentro del término", figures["en_termino"]),
            ("Respondidas o vencidas fuera del término", figures["fuera_de_termino"]),
            ("En curso dentro del término", figures["en_curso"]),
            ("Escaladas a un área de la entidad", figures["escaladas"]),
            ("Trasladadas a la entidad competente", figures["trasladadas"]),
            ("Cerradas por desistimiento tácito", figures["desistidas"]),
            ("Tiempo promedio de respuesta (días calendario)", figures["dias_promedio"]),
        ],
    )
    type_table, type_chart = _counts(
        "Solicitudes por tipo", figures["por_tipo"], "Tipo", lambda c: label("tipo", c)
    )
    service_table, service_chart = _counts(
        "Solicitudes por servicio",
        figures["por_servicio"],
        "Servicio",
        lambda c: label("servicio", c),
    )
    area_table, _area_chart = _counts(
        "Solicitudes por área",
        figures["por_area"],
        "Área",
        lambda c: group_name(c) if c else "Sin escalar",
    )
    times = Table.of(
        "Tiempo promedio de respuesta por tipo (días calendario)",
        ("Tipo", "Días"),
        [(label("tipo", k), v) for k, v in figures["dias_promedio_por_tipo"].items()],
    )
    term_chart = chart(
        "Oportunidad de las respuestas",
        "bar",
        ["En término", "Fuera de término", "En curso"],
        {
            "Solicitudes": [
                figures["en_termino"],
                figures["fuera_de_termino"],
                figures["en_curso"],
            ]
        },
    )
    return ReportDocument(
        title=KINDS["pqrs"],
        subtitle=f"Solicitudes radicadas {period_text(start, end)}",
        generated_at=now,
        sections=(
            Section("Totales", "Totales y oportunidad", (totals, times), (term_chart,)),
            Section(
                "Tipo y servicio",
                "Por tipo, servicio y área",
                (type_table, service_table, area_table),
                (type_chart, service_chart),
            ),
        ),
        filename=f"informe-pqrs-{start.date().isoformat()}-{end.date().isoformat()}",
        summary=(
            (
                "Alcance",
                "Informe del artículo 76 de la Ley 1474 de 2011 calculado de los expedientes "
                "de Atención Virtual. Una solicitud se cuenta como trasladada cuando su "
                "respuesta se elaboró con la plantilla «Traslado por competencia» (artículo 21 "
                "de la Ley 1755 de 2015).",
            ),
        ),
    )


# What the answer that closed a request did, by the protocol template it was written with.
OUTCOMES = {
    "traslado_por_competencia": "Trasladada",
    "negacion_de_acceso": "Acceso negado",
}


def information_document(
    figures: dict[str, Any], start: datetime, end: datetime, now: datetime
) -> ReportDocument:
    totals = Table.of(
        "Totales del periodo",
        ("Indicador", "Valor"),
        [
            ("Solicitudes de información recibidas", figures["recibidas"]),
            ("Escaladas a un área de la entidad", figures["escaladas"]),
            ("Trasladadas a la entidad competente", figures["trasladadas"]),
            ("Con acceso negado (información reservada o clasificada)", figures["acceso_negado"]),
            ("Respondidas", figures["respondidas"]),
            ("Respondidas dentro del término", figures["en_termino"]),
            ("Fuera del término", figures["fuera_de_termino"]),
            ("Tiempo promedio de respuesta (días calendario)", figures["dias_promedio"]),
        ],
    )
    each = Table.of(
        "Tiempo de respuesta de cada solicitud",
        ("Radicado", "Radicada", "Respondida", "Días", "Dentro del término", "Resultado"),
        [
            (
                r.radicado,
                moment_text(r.filed_at),
                moment_text(r.answered_at) or "Sin respuesta",
                r.days,
                {True: "Sí", False: "No", None: "En curso"}[r.in_term],
                OUTCOMES.get(r.template, "Respondida") if r.answered_at else "En trámite",
            )
            for r in figures["solicitudes"]
        ],
    )
    return ReportDocument(
        title=KINDS["informacion"],
        subtitle=f"Solicitudes de información y documentos radicadas {period_text(start, end)}",
        generated_at=now,
        sections=(
            Section("Totales", "Totales", (totals,)),
            Section("Solicitudes", "Cada solicitud", (each,)),
        ),
        filename=f"informe-acceso-informacion-{start.date().isoformat()}-{end.date().isoformat()}",
        summary=(
            (
                "Alcance",
                "Solicitudes de tipo «solicitud» en la modalidad de petición de documentos e "
                "información. El acceso se cuenta como negado, y la solicitud como trasladada, "
                "según la plantilla del protocolo con que se elaboró la respuesta.",
            ),
        ),
    )

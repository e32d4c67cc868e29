"""The monthly contract report (5.2.23–5.2.27) as a ``ReportDocument``, and its kept files.

``document(report)`` turns the figures the ``monthly_report`` operator computed into sections
(one sheet each): volumes, timeliness, quality, alerts and overdue cases, satisfaction. The
task pages, the XLSX and the PDF all draw this same document.
"""

from datetime import datetime
from typing import Any

from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import BOGOTA
from engine.database import start_writing
from engine.models import ReportFile
from workers.documents.charts import chart
from workers.documents.report_document import (
    PDF_TYPE,
    XLSX_TYPE,
    ReportDocument,
    Section,
    Table,
    pdf,
    xlsx,
)

REPORT = "informe_mensual"
TERM_NAMES = {
    "primera_respuesta": "Primera respuesta",
    "area": "Término del área",
    "legal": "Término legal",
}


def month_name(period: str) -> str:
    """``2026-03`` → ``marzo de 2026``."""
    try:
        year, month = (int(p) for p in period.split("-"))
    except ValueError:
        return period
    return format_date(datetime(year, month, 1), "MMMM 'de' y", locale="es_CO")


def _short_month(period: str) -> str:
    try:
        year, month = (int(p) for p in period.split("-"))
    except ValueError:
        return period
    return format_date(datetime(year, month, 1), "MMM y", locale="es_CO").replace(".", "")


def _counts(title: str, counts: dict[str, int], name: str) -> tuple[Table, Any]:
    rows = list(counts.items())
    table = Table.of(title, (name, "Casos"), rows)
    return table, chart(title, "bar", [r[0] for r in rows], {"Casos": [r[1] for r in rows]})


def document(report: dict[str, Any], extra: dict[str, Any] | None = None) -> ReportDocument:
    """``extra``: the people's texts (5.2.23 comments, 5.2.26 summary and conclusions)."""
    extra = extra or {}
    period = str(report.get("periodo") or "")
    first = report.get("primera_respuesta_24h") or {}
    legal = report.get("respuesta_en_termino_legal") or {}
    final = report.get("tiempo_respuesta_final") or {}
    first_time = report.get("tiempo_primera_respuesta") or {}
    review = report.get("revision_calidad") or {}
    escalated = report.get("escalados") or {}
    overdue = report.get("vencidos") or {}
    trend = report.get("tendencia") or []

    headline = Table.of(
        "Indicadores principales",
        ("Indicador", "Valor"),
        [
            ("Casos radicados", report.get("casos_radicados")),
            ("Primera respuesta a tiempo (%)", first.get("porcentaje")),
            ("Respuesta dentro del término legal (%)", legal.get("porcentaje")),
            ("Tiempo de respuesta final, promedio (horas)", final.get("promedio_horas")),
            ("Tiempo de respuesta final, p50 (horas)", final.get("p50_horas")),
            ("Tiempo de respuesta final, p90 (horas)", final.get("p90_horas")),
            ("Escalados (%)", escalated.get("porcentaje")),
            ("Revisados por calidad (%)", review.get("porcentaje")),
            ("Mínimo de revisión (%)", review.get("minimo")),
            ("Casos vencidos", overdue.get("total")),
            ("Prorrogados", report.get("prorrogados")),
            ("Desistidos", report.get("desistidos")),
            ("Pendientes al cierre", report.get("pendientes")),
        ],
    )
    summary_notes = []
    if review and not review.get("cumple_minimo", True):
        summary_notes.append(
            f"La revisión de calidad ({review.get('porcentaje')} %) está por debajo del mínimo "
            f"del {review.get('minimo')} %."
        )
    changes = report.get("cambios") or []
    summary_tables = [headline]
    if changes:
        summary_tables.append(
            Table.of(
                "Cambios desde la revisión anterior",
                ("Indicador", "Antes", "Ahora"),
                [(c["indicador"], c["antes"], c["ahora"]) for c in changes],
            )
        )
    adjustments = report.get("ajustes") or []
    if adjustments:
        summary_tables.append(
            Table.of(
                "Ajustes realizados (5.2.25)",
                ("Ronda", "Ajuste"),
                [(i, text) for i, text in enumerate(adjustments, start=1)],
            )
        )

    type_table, type_chart = _counts("Casos por tipo", report.get("por_tipo") or {}, "Tipo")
    service_table, service_chart = _counts(
        "Casos por servicio", report.get("por_servicio") or {}, "Servicio"
    )
    area_table, area_chart = _counts("Casos por área", report.get("por_area") or {}, "Área")
    channel_table, channel_chart = _counts(
        "Casos por canal", report.get("por_canal") or {}, "Canal"
    )
    class_table, class_chart = _counts(
        "Respuestas por tipificación (5.2.16)",
        report.get("por_clasificacion") or {},
        "Tipificación",
    )

    months = [_short_month(m["periodo"]) for m in trend]
    timeliness = Table.of(
        "Oportunidad del mes",
        ("Término", "Evaluados", "Cumplidos", "Porcentaje"),
        [
            (
                "Primera respuesta a tiempo",
                first.get("evaluados"),
                first.get("cumplidos"),
                first.get("porcentaje"),
            ),
            (
                "Respuesta en término legal",
                legal.get("evaluados"),
                legal.get("cumplidos"),
                legal.get("porcentaje"),
            ),
        ],
        percent_columns=(3,),
    )
    trend_table = Table.of(
        "Evolución mensual",
        ("Mes", "Casos", "Primera respuesta a tiempo (%)", "Término legal (%)"),
        [(m["periodo"], m["casos"], m["primera_respuesta_24h"], m["termino_legal"]) for m in trend],
        percent_columns=(2, 3),
    )
    times = Table.of(
        "Tiempos (horas)",
        ("Medida", "Casos", "Promedio", "p50", "p90"),
        [
            (
                "Primera respuesta",
                first_time.get("casos"),
                first_time.get("promedio_horas"),
                first_time.get("p50_horas"),
                first_time.get("p90_horas"),
            ),
            (
                "Respuesta final",
                final.get("casos"),
                final.get("promedio_horas"),
                final.get("p50_horas"),
                final.get("p90_horas"),
            ),
        ],
    )
    trend_chart = chart(
        "Cumplimiento de términos, mes a mes",
        "line",
        months,
        {
            "Primera respuesta a tiempo": [m["primera_respuesta_24h"] for m in trend],
            "Término legal": [m["termino_legal"] for m in trend],
        },
        units="%",
    )
    times_chart = chart(
        "Tiempos de respuesta (p50 y p90)",
        "bar",
        ["Primera respuesta", "Respuesta final"],
        {
            "p50": [first_time.get("p50_horas"), final.get("p50_horas")],
            "p90": [first_time.get("p90_horas"), final.get("p90_horas")],
        },
        units="horas",
    )

    audits = report.get("auditorias") or []
    quality_tables = [
        Table.of(
            "Revisión de calidad",
            ("Respondidos", "Revisados", "Porcentaje", "Mínimo", "Cumple"),
            [
                (
                    review.get("respondidos"),
                    review.get("revisados"),
                    review.get("porcentaje"),
                    review.get("minimo"),
                    "Sí" if review.get("cumple_minimo", True) else "No",
                )
            ],
            percent_columns=(2, 3),
        ),
        Table.of(
            "Escalamiento",
            ("Casos escalados", "Porcentaje"),
            [(escalated.get("casos"), escalated.get("porcentaje"))],
            percent_columns=(1,),
        ),
        Table.of(
            "Calificación de las auditorías semanales (F182)",
            ("Semana que inicia", "Calificación", "Casos auditados"),
            [(a["semana"], a["calificacion"], a["casos_auditados"]) for a in audits],
        ),
    ]
    review_chart = chart(
        "Respuestas revisadas por calidad",
        "bar",
        [month_name(period)],
        {"Revisadas": [review.get("porcentaje")]},
        units="%",
        target=float(review.get("minimo") or 50),
        target_label=f"Mínimo {review.get('minimo') or 50} %",
    )
    quality_charts = [review_chart]
    if audits:
        quality_charts.append(
            chart(
                "Calificación de las auditorías semanales",
                "line",
                [a["semana"] for a in audits],
                {"Calificación": [a["calificacion"] for a in audits]},
            )
        )

    alerts = report.get("alertas") or {}
    alert_rows = [(TERM_NAMES.get(term, term), n) for term, n in alerts.items()]
    alert_table = Table.of("Alertas por término", ("Término", "Alertas"), alert_rows)
    alert_chart = chart(
        "Alertas por término",
        "bar",
        [r[0] for r in alert_rows],
        {"Alertas": [r[1] for r in alert_rows]},
    )
    overdue_table = Table.of(
        "Casos vencidos",
        ("Radicado", "Tipo", "Servicio", "Área", "Vencía", "Respondido", "Días de retraso"),
        [
            (
                c["radicado"],
                c["tipo"],
                c["servicio"],
                c["area"] or "Sin escalar",
                _day(c["vence_legal"]),
                _day(c["respondido_en"]) if c["respondido_en"] else "Sin respuesta",
                c["dias_vencido"],
            )
            for c in overdue.get("casos") or []
        ],
    )

    sections = [
        Section(
            "Resumen", "Resumen de indicadores", tuple(summary_tables), (), tuple(summary_notes)
        ),
        Section(
            "Volumen",
            "Volumen de casos",
            (type_table, service_table, area_table, channel_table, class_table),
            (type_chart, service_chart, area_chart, channel_chart, class_chart),
        ),
        Section(
            "Oportunidad",
            "Oportunidad de las respuestas",
            (timeliness, trend_table, times),
            (trend_chart, times_chart),
        ),
        Section("Calidad", "Calidad y escalamiento", tuple(quality_tables), tuple(quality_charts)),
        Section(
            "Alertas y vencidos",
            "Alertas y casos vencidos",
            (alert_table, overdue_table),
            (alert_chart,) if alert_rows else (),
        ),
    ]
    satisfaction = report.get("satisfaccion")
    if satisfaction and satisfaction.get("respuestas"):
        sections.append(_satisfaction_section(satisfaction))

    texts = [
        (label, str(extra.get(key)))
        for key, label in (
            ("comentarios", "Comentarios de los reportes (Agente de Calidad)"),
            ("resumen", "Resumen ejecutivo"),
            ("conclusiones", "Conclusiones y acciones de mejora"),
        )
        if extra.get(key)
    ]
    calculated = report.get("calculado_en")
    return ReportDocument(
        title=f"Informe mensual de Atención Virtual - {month_name(period)}",
        subtitle="Indicadores del contrato de atención virtual (M5-1-01, 5.2.23 a 5.2.27)",
        generated_at=datetime.fromisoformat(calculated) if calculated else datetime.now(BOGOTA),
        sections=tuple(sections),
        filename=f"informe-mensual-{period}",
        summary=tuple(texts),
    )


def _satisfaction_section(satisfaction: dict[str, Any]) -> Section:
    scores = satisfaction.get("por_puntaje") or {}
    table = Table.of(
        "Encuesta de satisfacción",
        ("Encuestas respondidas", "Promedio (1 a 5)", "Satisfechos (4 o 5) %"),
        [
            (
                satisfaction.get("respuestas"),
                satisfaction.get("promedio"),
                satisfaction.get("satisfechos_pct"),
            )
        ],
        percent_columns=(2,),
    )
    labels = [str(k) for k in sorted(scores, key=int)]
    return Section(
        "Satisfacción",
        "Satisfacción de los ciudadanos",
        (table,),
        (
            chart(
                "Respuestas por puntaje",
                "bar",
                labels,
                {"Encuestas": [scores[k] for k in labels]},
            ),
        ),
    )


def _day(iso: str | None) -> str:
    if not iso:
        return "—"
    return format_date(
        datetime.fromisoformat(iso).astimezone(BOGOTA).date(), "d MMM y", locale="es_CO"
    )


def store(
    session_engine: Any,
    job_key: str,
    instance_id: int | None,
    report: dict[str, Any],
    extra: dict[str, Any] | None,
    now: datetime,
) -> dict[str, Any]:
    """Build the XLSX and the PDF and keep them with the month, once per job: a repeated
    delivery of the same job finds its files. Returns what the process keeps of them."""
    built = document(report, extra)
    contents = {"xlsx": (xlsx(built), XLSX_TYPE), "pdf": (pdf(built), PDF_TYPE)}
    period = str(report.get("periodo") or "")
    with Session(session_engine) as session, session.begin():
        start_writing(session)
        existing = {
            f.format: f
            for f in session.scalars(select(ReportFile).where(ReportFile.job_key == job_key))
        }
        if not existing:
            version = 1 + (
                session.scalar(
                    select(func.max(ReportFile.version)).where(
                        ReportFile.report == REPORT, ReportFile.period == period
                    )
                )
                or 0
            )
            for fmt, (content, content_type) in contents.items():
                row = ReportFile(
                    report=REPORT,
                    period=period,
                    instance_id=instance_id,
                    version=version,
                    job_key=job_key,
                    format=fmt,
                    filename=f"{built.filename}-v{version}.{fmt}",
                    content_type=content_type,
                    size=len(content),
                    content=content,
                    created_at=now,
                )
                session.add(row)
                existing[fmt] = row
            session.flush()
        return {
            "version": existing["pdf"].version,
            "xlsx": existing["xlsx"].id,
            "pdf": existing["pdf"].id,
        }

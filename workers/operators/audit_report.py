"""Auditoría de calidad 5.2.19: score the week's F182 records and build the report model.

Each record is scored with the decision table ``calificacion_f182`` of the version the
instance runs (engine/audits.py), so the parameters are the ones the process owners deployed.
The report model (plain data, kept in ``audit_reports.data``) feeds the page, the PDF and the
e-mail: per-case scores, the service rating, the inconsistencies with their evidence, the
compliance by criterion and the trend of the last weeks. The Profesional OCM edits the
narrative drafted here.
"""

from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_date, format_datetime
from sqlalchemy import select

from engine import audits
from engine.clock import BOGOTA
from engine.definitions import bundle_for
from engine.models import AuditReport, ProcessInstance
from workers.documents.charts import format_value
from workers.errors import PermanentFailure
from workers.jobs import Job

TREND_WEEKS = 6
NO_ISSUES = "No se encontraron inconsistencias en los casos auditados."


def prepare(job: Job) -> dict[str, Any]:
    instance = job.session.get(ProcessInstance, job.instance_id) if job.instance_id else None
    if instance is None:
        raise PermanentFailure("El informe de auditoría no tiene una instancia de proceso.")
    bundle = bundle_for(job.session, instance.deployment_id)
    if audits.SCORING_DECISION not in bundle.decisions:
        raise PermanentFailure(
            "La versión desplegada no tiene la tabla de decisión «calificacion_f182»."
        )
    records = list(job.params.get("registros_f182") or [])
    scores = [audits.score_record(r, bundle.decide) for r in records]
    audit = job.session.scalar(
        select(AuditReport).where(AuditReport.instance_id == job.instance_id)
    )
    period = _period(job, audit)
    earlier = job.session.execute(
        select(AuditReport.period_start, AuditReport.rating)
        .where(AuditReport.period_start < period, AuditReport.rating.is_not(None))
        .order_by(AuditReport.period_start.desc())
        .limit(TREND_WEEKS - 1)
    ).all()
    sampling = (
        {
            "poblacion": audit.population,
            "confianza": audit.sampling.get("confianza"),
            "margen_error": audit.sampling.get("margen_error"),
            "estratos": audit.sampling.get("estratos"),
        }
        if audit is not None
        else {}
    )
    return report_model(period, records, scores, list(reversed(earlier)), sampling)


def perform(job: Job, model: dict[str, Any]) -> dict[str, Any]:
    with job.ctx.session_factory() as session, session.begin():
        audit = session.scalar(
            select(AuditReport).where(AuditReport.instance_id == job.instance_id)
        )
        if audit is not None:
            audit.data = model
            audit.rating = model["calificacion_servicio"]
            audit.updated_at = job.ctx.clock.now()
    issues = model["inconsistencias"]
    return {
        "informe": draft_narrative(model),
        "calificacion_servicio": model["calificacion_servicio"],
        "casos_auditados": model["casos_auditados"],
        "hay_inconsistencias": bool(issues),
        "texto_inconsistencias": issues_text(issues),
        # The figures other reports read from the step's record (the monthly report's ratings).
        "datos": {
            "periodo": model["periodo"],
            "calificacion_servicio": model["calificacion_servicio"],
            "casos_auditados": model["casos_auditados"],
        },
    }


def _period(job: Job, audit: AuditReport | None) -> datetime:
    if audit is not None:
        return audit.period_start
    periodo = job.params.get("periodo")
    return datetime.fromisoformat(periodo) if periodo else job.ctx.clock.now()


def _week_start(period: datetime) -> str:
    """«9 mar»: the Monday the audited week began (a chart's category)."""
    day = (period.astimezone(BOGOTA) - timedelta(days=7)).date()
    return format_date(day, "d MMM", locale="es_CO")


def _moment(value: str | None) -> str:
    if not value:
        return "sin registro"
    return format_datetime(
        datetime.fromisoformat(value), "d MMM y, HH:mm", tzinfo=BOGOTA, locale="es_CO"
    )


def report_model(
    period: datetime,
    records: list[dict[str, Any]],
    scores: list[dict[str, Any]],
    earlier: list[tuple[datetime, float]],
    sampling: dict[str, Any],
) -> dict[str, Any]:
    cases = []
    issues = []
    for record, score in zip(records, scores, strict=True):
        cases.append(
            {
                "radicado": record.get("radicado"),
                "tipo": record.get("tipo"),
                "servicio": record.get("servicio"),
                "canal": audits.CHANNEL_TITLES.get(record.get("canal") or "portal", "Portal web"),
                "puntaje": score["puntaje"],
                "criterios": score["criterios"],
                "observaciones": record.get("observaciones") or "",
            }
        )
        if score["inconsistencias"]:
            issues.append(
                {
                    "radicado": record.get("radicado"),
                    "puntaje": score["puntaje"],
                    "hallazgos": score["inconsistencias"],
                    "evidencia": [
                        f"Radicado el {_moment(record.get('fecha_ingreso'))}; primera respuesta "
                        f"el {_moment(record.get('fecha_hora_primera_respuesta'))}; respuesta "
                        f"final el {_moment(record.get('fecha_hora_respuesta'))}.",
                        f"Respuesta elaborada por {record.get('funcionario_responsable')}; "
                        f"el caso se trabajó {record.get('veces_registrado_crm')} veces.",
                        f"Observaciones del Profesional: {record.get('observaciones') or '-'}",
                    ],
                }
            )
    rating = round(sum(c["puntaje"] for c in cases) / len(cases), 1) if cases else None
    label = audits.week_label(period)
    trend = [
        {"semana": audits.week_label(p), "inicio": _week_start(p), "calificacion": r}
        for p, r in earlier
    ]
    if rating is not None:
        trend.append({"semana": label, "inicio": _week_start(period), "calificacion": rating})
    return {
        "periodo": label,
        "periodo_inicio": period.isoformat(),
        "muestreo": sampling,
        "casos_auditados": len(cases),
        "calificacion_servicio": rating,
        "casos": cases,
        "criterios": by_criterion(scores),
        "inconsistencias": issues,
        "tendencia": trend,
    }


def by_criterion(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per criterion: how many cases it applied to and the share that met it (0–100)."""
    rows = []
    for name in audits.CRITERIA + audits.CHAT_CRITERIA:
        applied = [s["criterios"][name] for s in scores if name in s["criterios"]]
        if not applied:
            continue
        met = sum(1 for c in applied if not c["inconsistencia"])
        rows.append(
            {
                "criterio": name,
                "titulo": audits.CRITERION_TITLES[name],
                "corto": audits.CRITERION_SHORT[name],
                "casos": len(applied),
                "cumplimiento": round(100 * met / len(applied), 1),
            }
        )
    return rows


def issues_text(issues: list[dict[str, Any]]) -> str:
    if not issues:
        return ""
    lines = []
    for issue in issues:
        lines.append(f"{issue['radicado']} ({format_value(issue['puntaje'])} puntos):")
        lines += [f"- {finding}" for finding in issue["hallazgos"]]
        lines += [f"  {evidence}" for evidence in issue["evidencia"]]
    return "\n".join(lines)


def draft_narrative(model: dict[str, Any]) -> str:
    n = model["casos_auditados"]
    sampling = model["muestreo"] or {}
    lines = [
        f"Auditoría de calidad del servicio de Atención Virtual, {model['periodo']}.",
        "",
    ]
    if sampling.get("poblacion") is not None:
        lines.append(
            f"De {sampling['poblacion']} casos respondidos en la semana se auditaron {n} "
            f"(muestra aleatoria estratificada por tipo, confianza "
            f"{100 * (sampling.get('confianza') or 0):g} % y margen de error "
            f"{100 * (sampling.get('margen_error') or 0):g} %)."
        )
    else:
        lines.append(f"Se auditaron {n} casos con el formato F182.")
    if n:
        lines.append(
            f"Calificación del servicio: {format_value(model['calificacion_servicio'])} sobre 100."
        )
        for row in model["criterios"]:
            lines.append(
                f"- {row['titulo']}: {format_value(row['cumplimiento'])} % de cumplimiento."
            )
    else:
        lines.append("No hubo casos respondidos para auditar en la semana.")
    lines.append("")
    if model["inconsistencias"]:
        lines.append(
            f"Se encontraron inconsistencias en {len(model['inconsistencias'])} de {n} casos; "
            "el detalle y su evidencia están en el informe."
        )
    else:
        lines.append(NO_ISSUES)
    lines += ["", "Conclusiones y recomendaciones:", ""]
    return "\n".join(lines)

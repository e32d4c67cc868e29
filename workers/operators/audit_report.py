"""Auditoría de calidad 5.2.19: the draft report, from the F182 records of the instance.

The Profesional OCM edits the draft; figures come from the records the diagram passes as
parameters (``registros_f182``, ``puntajes_f182``, ``inconsistencias_f182``,
``calificacion_servicio``, ``casos_auditados``, ``periodo``).
"""

from datetime import datetime
from typing import Any

from workers.jobs import Job

FIELDS = (
    "registros_f182",
    "puntajes_f182",
    "inconsistencias_f182",
    "calificacion_servicio",
    "casos_auditados",
    "periodo",
)
QUALITY = {"alta": "alta", "media": "media", "baja": "baja"}


def prepare(job: Job) -> dict[str, Any]:
    return {k: job.params.get(k) for k in FIELDS}


def perform(job: Job, found: dict[str, Any]) -> dict[str, Any]:
    records: list[dict[str, Any]] = list(found.get("registros_f182") or [])
    scores = {s.get("radicado"): s.get("puntaje") for s in found.get("puntajes_f182") or []}
    issues: list[dict[str, Any]] = list(found.get("inconsistencias_f182") or [])
    audited = found.get("casos_auditados") or len(records)
    rating = found.get("calificacion_servicio")
    if rating is None and scores:
        rating = round(sum(v or 0 for v in scores.values()) / len(scores), 1)
    on_time = sum(1 for r in records if r.get("respuesta_en_24h"))
    effective = sum(1 for r in records if r.get("agente_efectivo"))
    writing = {level: 0 for level in QUALITY}
    for r in records:
        level = r.get("calidad_redaccion_ortografia")
        if level in writing:
            writing[level] += 1
    period = _period_label(found.get("periodo"))
    sample = found.get("resultado_muestra") or {}
    figures = {
        "periodo": period,
        "casos_auditados": audited,
        "calificacion_servicio": rating,
        "respuesta_en_24h": on_time,
        "agente_efectivo": effective,
        "redaccion_ortografia": writing,
        "inconsistencias": issues,
        "puntajes": [{"radicado": k, "puntaje": v} for k, v in scores.items()],
        "muestra": sample.get("muestra") if isinstance(sample, dict) else sample,
    }
    return {"informe": _text(figures), "datos": figures}


def _period_label(periodo: str | None) -> str:
    if not periodo:
        return "el periodo auditado"
    start = datetime.fromisoformat(periodo)
    return f"la semana anterior al {start.date().isoformat()}"


def _pct(part: int, whole: int) -> str:
    return f"{(100 * part / whole):.1f} %" if whole else "—"


def _text(f: dict[str, Any]) -> str:
    n = f["casos_auditados"]
    lines = [
        "INFORME DE AUDITORÍA DE CALIDAD – ATENCIÓN VIRTUAL (borrador)",
        "",
        f"Periodo: {f['periodo']}. Casos auditados (formato F182): {n}.",
        f"Calificación del servicio: {f['calificacion_servicio'] if n else '—'} sobre 100.",
        "",
        "Resultados:",
        f"- Respondidos en 24 horas: {f['respuesta_en_24h']} de {n} "
        f"({_pct(f['respuesta_en_24h'], n)}).",
        f"- Agente efectivo en la respuesta: {f['agente_efectivo']} de {n} "
        f"({_pct(f['agente_efectivo'], n)}).",
        "- Redacción y ortografía: "
        + ", ".join(f"{level} {count}" for level, count in f["redaccion_ortografia"].items())
        + ".",
        "",
    ]
    if f["inconsistencias"]:
        lines.append(
            f"Inconsistencias ({len(f['inconsistencias'])} casos con menos de 100 puntos):"
        )
        for issue in f["inconsistencias"]:
            note = issue.get("observaciones") or "sin observaciones"
            lines.append(f"- {issue.get('radicado')}: {issue.get('puntaje')} puntos. {note}")
    else:
        lines.append("No se encontraron inconsistencias en los casos auditados.")
    lines += ["", "Conclusiones y recomendaciones: (complete el Profesional OCM)"]
    return "\n".join(lines)

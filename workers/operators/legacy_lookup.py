"""5.2.8: look the citizen up in C&CTEX, COBOL and FOX PRO; the Asesor reads the result."""

from typing import Any

from workers.errors import PermanentFailure
from workers.jobs import Job
from workers.legacy import SYSTEMS, adapter_from_settings


def prepare(job: Job) -> str:
    document = str(job.params.get("documento") or "").strip()
    if not document:
        raise PermanentFailure("La consulta a los aplicativos necesita el número de documento.")
    return document


def perform(job: Job, document: str) -> dict[str, Any]:
    try:
        adapter = adapter_from_settings(job.ctx.settings)
    except ValueError as exc:
        raise PermanentFailure(str(exc)) from exc
    found = {system: adapter.lookup(system, document) for system in SYSTEMS}
    return {
        "documento": document,
        "fuente": adapter.source,
        "consultado_en": job.ctx.clock.now().isoformat(),
        "sistemas": found,
        "resumen": summary(found),
    }


def summary(found: dict[str, Any]) -> str:
    """One line per system for the Asesor, in Spanish."""
    lines = []
    for system, label in SYSTEMS.items():
        record = found.get(system)
        if record is None:
            lines.append(f"{label}: sin registros.")
            continue
        lines.append(f"{label}: {_describe(system, record)}")
    return "\n".join(lines)


def _describe(system: str, record: dict[str, Any]) -> str:
    if system == "cctex" and "creditos" in record:
        credits = record["creditos"]
        overdue = [c for c in credits if c.get("dias_mora")]
        balance = sum(c.get("saldo_capital") or 0 for c in credits)
        text = f"{len(credits)} crédito(s), saldo de capital {_pesos(balance)}"
        if overdue:
            worst = max(c["dias_mora"] for c in overdue)
            text += f"; {len(overdue)} en mora (hasta {worst} días)"
        return text + "."
    if system == "cobol" and "creditos_historicos" in record:
        states = ", ".join(c.get("estado", "?") for c in record["creditos_historicos"])
        return f"{len(record['creditos_historicos'])} crédito(s) histórico(s): {states}."
    if system == "foxpro" and "fondos" in record:
        funds = "; ".join(f"{f['fondo']} ({f['estado_beneficio']})" for f in record["fondos"])
        return f"{funds}."
    if "registros" in record:
        return f"{len(record['registros'])} registro(s)."
    return "con registros."


def _pesos(value: float) -> str:
    return "$" + f"{value:,.0f}".replace(",", ".")

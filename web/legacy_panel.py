"""The legacy look-up (5.2.8) as staff read it: per system, the person's facts and tables.

The operators hand back each system's record as nested data (workers/operators/legacy_lookup):
plain values become facts, lists of records become tables (one row per credit, fund…), and a
list inside a row (a credit's disbursements) becomes its own table under the first.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.formatting import format_day, format_moment

SYSTEM_NAMES = {
    "cctex": _l("C&CTEX (crédito y cartera)"),
    "cobol": _l("COBOL (créditos históricos)"),
    "foxpro": _l("FOX PRO (fondos en administración)"),
}

# Words the keys are made of that read better written out.
_WORDS = {
    "ies": "IES",
    "numero": "número",
    "credito": "crédito",
    "creditos": "créditos",
    "historicos": "históricos",
    "codigo": "código",
    "linea": "línea",
    "aprobacion": "aprobación",
    "proxima": "próxima",
    "matricula": "matrícula",
    "ultimo": "último",
    "condonacion": "condonación",
    "beneficio": "beneficio",
    "periodo": "periodo",
    "telefono": "teléfono",
    "direccion": "dirección",
    "informacion": "información",
    "dias": "días",
    "amortizacion": "amortización",
    "area": "área",
    "tesoreria": "tesorería",
}
_MONEY = re.compile(r"^(valor|saldo)(_|$)")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T")


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class SystemPanel:
    name: str
    found: bool
    facts: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class LegacyPanel:
    consulted_at: str
    summary: list[str]
    systems: list[SystemPanel]


def label(key: str) -> str:
    words = [_WORDS.get(word, word) for word in re.split(r"[_ ]", key)]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def cell(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Sí") if value else _("No")
    if isinstance(value, int | float) and _MONEY.match(key):
        return "$" + f"{value:,.0f}".replace(",", ".")
    if isinstance(value, int | float):
        return f"{value:,}".replace(",", ".") if isinstance(value, int) else f"{value:g}"
    if isinstance(value, str) and _DAY.match(value):
        return format_day(value)
    if isinstance(value, str) and _MOMENT.match(value):
        return format_moment(value)
    if isinstance(value, dict):
        return "; ".join(f"{label(k)}: {cell(k, v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(cell(key, v) for v in value)
    text = str(value)
    return label(text) if re.fullmatch(r"[a-z_ ]+", text) else text  # a code, as words


def _tables(caption: str, records: list[dict[str, Any]]) -> list[Table]:
    columns = [k for k in records[0] if not _is_records(records[0][k])]
    for record in records[1:]:
        columns += [k for k in record if k not in columns and not _is_records(record[k])]
    main = Table(
        caption,
        [label(k) for k in columns],
        [[cell(k, record.get(k)) for k in columns] for record in records],
    )
    nested = []
    for record in records:
        first = cell(columns[0], record.get(columns[0])) if columns else ""
        for key, value in record.items():
            if _is_records(value):
                nested += _tables(f"{label(key)} · {first}", value)
    return [main, *nested]


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def legacy_panel(result: dict[str, Any] | None) -> LegacyPanel | None:
    if not isinstance(result, dict) or not isinstance(result.get("sistemas"), dict):
        return None
    systems = []
    for code, record in result["sistemas"].items():
        name = str(SYSTEM_NAMES.get(code, code))
        if not isinstance(record, dict):
            systems.append(SystemPanel(name, found=False))
            continue
        panel = SystemPanel(name, found=True)
        for key, value in record.items():
            if _is_records(value):
                panel.tables += _tables(label(key), value)
            else:
                panel.facts.append((label(key), cell(key, value)))
        systems.append(panel)
    summary = str(result.get("resumen") or "").splitlines()
    return LegacyPanel(cell("consultado_en", result.get("consultado_en")), summary, systems)


def looked_up_since(result: Any, last_step_at: datetime | None) -> bool:
    """Whether the look-up came after the last completed step: the step that decides from it
    shows it unfolded, the later ones folded (on a phone it is longer than their form)."""
    if last_step_at is None or not isinstance(result, dict):
        return True
    try:
        consulted = datetime.fromisoformat(str(result.get("consultado_en")))
    except ValueError:
        return True
    if consulted.tzinfo is None or last_step_at.tzinfo is None:
        return True
    return consulted >= last_step_at

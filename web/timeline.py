"""What the citizen sees of a case's history: a few plain milestones, never internal notes.

Built from the event log. Only events that name a seed activity (``5.2.n`` in their label)
or a filing/extension are shown, each with a fixed, citizen-safe text; staff names, drafts
and observations never reach the citizen.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from engine.models import Case, Event
from web.extensions import db

_STEP = re.compile(r"\b5\.2\.(\d+)\b")

_BY_STEP = {
    1: _l("Ingresó a Atención Virtual."),
    2: _l("Creó su cuenta."),
    3: _l("Ingresó con su número de documento."),
    4: _l("Actualizó sus datos básicos."),
    5: _l("Recibimos su caso y le asignamos un radicado."),
    6: _l("Un asesor revisó su caso."),
    9: _l("Le informamos que su caso requiere escalamiento y la fecha máxima de respuesta."),
    10: _l("Su caso fue remitido al área responsable."),
    11: _l("El área responsable está atendiendo su caso."),
    12: _l("El área responsable está atendiendo su caso."),
    13: _l("El área responsable entregó la información para su respuesta."),
    14: _l("Estamos preparando su respuesta."),
    15: _l("Estamos preparando su respuesta."),
    16: _l("Estamos preparando su respuesta."),
    17: _l("Le enviamos la respuesta."),
}

_BY_KIND = {
    "prorroga": _l("Se amplió el plazo de respuesta; le informamos la nueva fecha."),
}

# Milestones without a seed number that the citizen takes part in (event kind ``hito``).
_BY_MILESTONE = {
    "fecha_respuesta": _l("Le informamos la fecha en que le daremos respuesta."),
    "solicitud_informacion": _l(
        "Le pedimos información adicional; el plazo de respuesta quedó suspendido."
    ),
    "informacion_aportada": _l(
        "Recibimos la información que nos envió; el plazo de respuesta volvió a correr."
    ),
    "desistimiento": _l(
        "Su petición se entendió desistida porque no recibimos la información solicitada."
    ),
}

# Events that mean a step happened (not merely that a task became ready or was claimed).
_DONE_KINDS = {"portal", "task_completed", "service_completed"}


@dataclass
class Milestone:
    at: datetime
    text: str


def citizen_timeline(case: Case) -> list[Milestone]:
    events = db.session.scalars(
        select(Event).where(Event.case_id == case.id).order_by(Event.at, Event.id)
    )
    milestones: list[Milestone] = []
    for event in events:
        text = _text_for(event)
        if text is None:
            continue
        if milestones and milestones[-1].text == text:
            continue
        milestones.append(Milestone(event.at, text))
    if not milestones:
        milestones.append(Milestone(case.filed_at, str(_BY_STEP[5])))
    return milestones


def _text_for(event: Event) -> str | None:
    if event.kind in _BY_KIND:
        return str(_BY_KIND[event.kind])
    if event.kind == "hito":
        text = _BY_MILESTONE.get(event.label or "")
        return None if text is None else str(text)
    if event.kind not in _DONE_KINDS:
        return None
    if (event.data or {}).get("omitido"):
        return None  # a portal step the citizen did not take (engine.runtime.file_case)
    match = _STEP.search(event.label or "")
    if match is None:
        return None
    text = _BY_STEP.get(int(match.group(1)))
    return None if text is None else str(text)

"""Spanish words for the case's status and request type."""

from flask_babel import lazy_gettext as _l

_STATUS = {
    "radicado": _l("Radicado"),
    "en_tramite": _l("En trámite"),
    "escalado": _l("Escalado al área responsable"),
    "respondido": _l("Respondido"),
    "cerrado": _l("Cerrado"),
}


def status_label(status: str) -> str:
    return str(_STATUS.get(status, status.replace("_", " ").capitalize()))

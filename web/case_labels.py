"""Spanish words for the case's status and request type."""

from flask_babel import lazy_gettext as _l

_STATUS = {
    "radicado": _l("Radicado"),
    "en_tramite": _l("En trámite"),
    "escalado": _l("Escalado al área responsable"),
    "respondido": _l("Respondido"),
    "esperando_usuario": _l("En espera de información del ciudadano"),
    "desistido": _l("Cerrado por desistimiento tácito"),
    "cerrado": _l("Cerrado"),
}


_FIRST_RESPONSE = {
    "respuesta": _l("respuesta"),
    "fecha": _l("fecha de respuesta informada"),
    "escalamiento": _l("aviso de escalamiento"),
}


def status_label(status: str) -> str:
    return str(_STATUS.get(status, status.replace("_", " ").capitalize()))


def first_response_label(kind: str | None) -> str:
    """Which of the three kinds of first response (seed §4) the case got."""
    return str(_FIRST_RESPONSE.get(kind or "", kind or ""))


_VISIBILITY = {
    "ciudadano": _l("Radicado por el ciudadano"),
    "interna": _l("Interno: el ciudadano no lo ve"),
    "respuesta": _l("Enviado al ciudadano con la respuesta"),
}


def visibility_label(visibility: str) -> str:
    return str(_VISIBILITY.get(visibility, visibility))

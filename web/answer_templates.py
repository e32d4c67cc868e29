"""The answer protocol's templates (5.2.14): Spanish text the Asesor starts from.

Keys match the ``plantilla`` choices of forms/elaborar_respuesta.json. Placeholders are
filled from the case; the Asesor edits the result before sending it to quality review.
"""

from string import Template
from typing import Any

from flask_babel import lazy_gettext as _l

from web.formatting import format_day

_CLOSING = _l(
    "\n\nCordialmente,\n\nAsesor de Servicio al Cliente\nICETEX · Atención Virtual\n"
    "Radicado $radicado"
)

TEMPLATES: dict[str, Any] = {
    "respuesta_de_fondo": _l(
        "Respetado(a) $nombre:\n\n"
        "En atención a su $tipo radicada el $fecha_radicacion con el número $radicado, "
        "sobre «$asunto», le informamos lo siguiente:\n\n"
        "[Escriba aquí la respuesta de fondo, clara y completa, a cada punto planteado.]\n\n"
        "Esperamos haber atendido su solicitud. Si requiere información adicional, puede "
        "comunicarse por nuestros canales de atención citando el número de radicado."
    ),
    "informar_fecha_respuesta": _l(
        "Respetado(a) $nombre:\n\n"
        "Hemos recibido su $tipo número $radicado sobre «$asunto». Para darle una respuesta "
        "completa necesitamos adelantar algunas verificaciones internas. Le daremos respuesta "
        "en la fecha que le indicamos en esta comunicación, dentro del término establecido "
        "por la ley."
    ),
    "traslado_por_competencia": _l(
        "Respetado(a) $nombre:\n\n"
        "Su $tipo número $radicado sobre «$asunto» trata un asunto que no es competencia del "
        "ICETEX. De acuerdo con el artículo 21 de la Ley 1755 de 2015, la hemos trasladado a "
        "[entidad competente], que le responderá directamente."
    ),
    "negacion_de_acceso": _l(
        "Respetado(a) $nombre:\n\n"
        "En atención a su $tipo número $radicado sobre «$asunto», le informamos que no es "
        "posible entregar la información solicitada porque [indique si es reservada o "
        "clasificada y la norma que lo establece] (artículos 18 y 19 de la Ley 1712 de 2014).\n\n"
        "Contra esta decisión procede el recurso de reposición y, si lo desea, puede insistir "
        "en su solicitud (artículos 26 y 27 de la Ley 1755 de 2015)."
    ),
    "solicitud_de_informacion": _l(
        "Respetado(a) $nombre:\n\n"
        "Para atender su $tipo número $radicado sobre «$asunto» necesitamos la siguiente "
        "información adicional:\n\n[Describa la información o los documentos que faltan.]\n\n"
        "Puede enviarla respondiendo en el portal de Atención Virtual. Si no la recibimos en "
        "el término de un mes, entenderemos que desiste de su petición (artículo 17 de la "
        "Ley 1755 de 2015)."
    ),
    "agradecimiento_felicitacion": _l(
        "Respetado(a) $nombre:\n\n"
        "Gracias por su felicitación número $radicado. Sus comentarios sobre «$asunto» "
        "nos motivan a seguir mejorando y los compartiremos con el equipo correspondiente."
    ),
    "respuesta_queja_reclamo": _l(
        "Respetado(a) $nombre:\n\n"
        "Lamentamos los inconvenientes que motivaron su $tipo número $radicado sobre "
        "«$asunto». Revisamos su caso y le informamos:\n\n"
        "[Explique lo encontrado y las acciones tomadas para resolverlo.]\n\n"
        "Su caso nos ayuda a mejorar la calidad de nuestro servicio."
    ),
}

_REQUEST_TYPES = {
    "solicitud": _l("solicitud"),
    "queja": _l("queja"),
    "reclamo": _l("reclamo"),
    "felicitacion": _l("felicitación"),
}


def render(key: str, case: Any, citizen: Any) -> str | None:
    """The template ``key`` filled from the case, or None if there is no such template."""
    text = TEMPLATES.get(key)
    if text is None or case is None:
        return None
    values = {
        "nombre": citizen.full_name if citizen is not None else "",
        "radicado": case.radicado,
        "asunto": case.subject,
        "tipo": str(_REQUEST_TYPES.get(case.request_type, case.request_type)),
        "fecha_radicacion": format_day(case.filed_at),
        "vence_legal": format_day(case.legal_due),
    }
    return Template(str(text) + str(_CLOSING)).safe_substitute(values)

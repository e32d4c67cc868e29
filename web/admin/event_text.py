"""An event's data as the console's history shows it: Spanish words, never technical strings.

A step's form values read as the form offers them (a choice by its title, see
web/step_records.py); a mail template by its name; a legacy look-up by the systems it found;
message ids and other plumbing are left out.
"""

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.definitions import Bundle
from engine.models import Event
from web.forms import ordered_properties
from web.legacy_panel import cell, label, legacy_panel
from web.step_records import readable

MAIL_TEMPLATES = {
    "acuse": _l("Acuse de recibo"),
    "asignacion": _l("Aviso de asignación"),
    "escalamiento": _l("Aviso de escalamiento"),
    "fecha_respuesta": _l("Fecha de respuesta"),
    "respuesta_final": _l("Respuesta al ciudadano"),
    "solicitud_informacion": _l("Solicitud de información"),
    "desistimiento": _l("Desistimiento"),
    "prorroga": _l("Prórroga"),
    "alerta_primera_respuesta": _l("Alerta: venció la primera respuesta"),
    "alerta_area": _l("Alerta: venció el término del área"),
    "alerta_legal": _l("Alerta: venció el término legal"),
    "recordatorio_primera_respuesta": _l("Recordatorio de primera respuesta"),
    "recordatorio_area": _l("Recordatorio del término del área"),
    "recordatorio_legal": _l("Recordatorio del término legal"),
    "informe_auditoria": _l("Informe de auditoría"),
    "informe_mensual": _l("Informe mensual"),
    "reporte_fallas": _l("Reporte de fallas"),
    "registro_existente": _l("Registro existente"),
    "verificar_correo": _l("Verificación del correo"),
    "restablecer_clave": _l("Restablecer la clave"),
    "clave_funcionario": _l("Clave de funcionario"),
}

# Plumbing nobody acts on: left out of the history.
HIDDEN = {"operacion", "message_id", "reenvio_evitado", "enviado", "clave", "key"}

KEY_LABELS = {
    "plantilla": _l("Correo"),
    "destinatarios": _l("Para"),
    "asunto": _l("Asunto"),
    "archivos": _l("Adjuntos"),
    "version_anterior": _l("Versión anterior"),
    "version_nueva": _l("Versión nueva"),
    "motivo": _l("Motivo"),
}


def template_name(code: Any) -> str:
    return str(MAIL_TEMPLATES.get(str(code), str(code).replace("_", " ").capitalize()))


def _value(key: str, value: Any) -> str:
    if key == "plantilla":
        return template_name(value)
    return cell(key, value)


def event_text(event: Event, bundle: Bundle | None) -> str:
    """The event's data in one readable line ("" when there is nothing worth showing)."""
    data = event.data
    if not isinstance(data, dict) or not data:
        return ""
    if (panel := legacy_panel(data)) is not None:
        found = [s.name for s in panel.systems if s.found]
        return _("Consultó: %(sistemas)s", sistemas=", ".join(found)) if found else ""
    form = _form(event, bundle)
    parts = []
    shown = {k: v for k, v in data.items() if k not in HIDDEN and v not in (None, "", [], {})}
    if form is not None:
        for name, prop in ordered_properties(form):
            if name in shown:
                value = shown.pop(name)
                parts.append(f"{prop.get('title') or label(name)}: {readable(prop, value)}")
    for key, value in shown.items():
        parts.append(f"{KEY_LABELS.get(key, label(key))}: {_value(key, value)}")
    return "; ".join(str(p) for p in parts)


def _form(event: Event, bundle: Bundle | None) -> dict[str, Any] | None:
    if bundle is None or event.kind != "task_completed":
        return None
    filename = bundle.form_files.get(event.bpmn_id or "")
    return bundle.forms.get(filename) if filename else None

"""The citizen's basic data (5.2.2 registration, 5.2.4 update): fields and their checks."""

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.models import User
from web.forms import Field, Option
from web.input_rules import check_texts, column_length, normalized_email
from web.passwords import MIN_LENGTH

DOCUMENT_TYPES = [
    ("CC", _l("Cédula de ciudadanía")),
    ("CE", _l("Cédula de extranjería")),
    ("TI", _l("Tarjeta de identidad")),
    ("PA", _l("Pasaporte")),
    ("NIT", _l("NIT")),
]

_DOCUMENT = re.compile(r"^[A-Za-z0-9-]{3,20}$")
_PHONE = re.compile(r"^[0-9 +()-]{7,20}$")


def contact_fields(values: dict[str, Any], errors: dict[str, str]) -> list[Field]:
    """Name, address, phone and e-mail: what 5.2.4 lets the citizen update."""
    return [
        Field(
            "nombre",
            str(_l("Nombres y apellidos")),
            "text",
            required=True,
            max_length=column_length(User.full_name),
            value=values.get("nombre"),
            error=errors.get("nombre"),
        ),
        Field(
            "email",
            str(_l("Correo electrónico")),
            "email",
            required=True,
            max_length=column_length(User.email),
            description=str(_l("Le enviaremos aquí el radicado y la respuesta.")),
            value=values.get("email"),
            error=errors.get("email"),
        ),
        Field(
            "telefono",
            str(_l("Teléfono")),
            "tel",
            required=True,
            max_length=20,
            value=values.get("telefono"),
            error=errors.get("telefono"),
        ),
        Field(
            "direccion",
            str(_l("Dirección")),
            "text",
            required=True,
            max_length=column_length(User.address),
            value=values.get("direccion"),
            error=errors.get("direccion"),
        ),
    ]


def registration_fields(values: dict[str, Any], errors: dict[str, str]) -> list[Field]:
    identity = [
        Field(
            "tipo_documento",
            str(_l("Tipo de documento")),
            "select",
            required=True,
            options=[Option(code, str(label)) for code, label in DOCUMENT_TYPES],
            value=values.get("tipo_documento"),
            error=errors.get("tipo_documento"),
        ),
        Field(
            "documento",
            str(_l("Número de documento")),
            "text",
            required=True,
            max_length=20,
            description=str(_l("Con este número ingresará al sistema.")),
            value=values.get("documento"),
            error=errors.get("documento"),
        ),
    ]
    secret = [
        Field(
            "password",
            str(_l("Contraseña")),
            "password",
            required=True,
            description=str(_l("Mínimo %(n)s caracteres.", n=MIN_LENGTH)),
            error=errors.get("password"),
        ),
        Field(
            "password2",
            str(_l("Repita la contraseña")),
            "password",
            required=True,
            error=errors.get("password2"),
        ),
    ]
    return identity + contact_fields(values, errors) + secret


# Each free-text field and the column that stores it (its length is the field's limit).
CONTACT_COLUMNS = {"nombre": User.full_name, "email": User.email, "direccion": User.address}


def check_contact(form: dict[str, str]) -> dict[str, str]:
    errors = {}
    if not form.get("nombre", "").strip():
        errors["nombre"] = _("Escriba sus nombres y apellidos.")
    if normalized_email(form.get("email", "").strip()) is None:
        errors["email"] = _("Escriba un correo electrónico válido.")
    if not _PHONE.match(form.get("telefono", "").strip()):
        errors["telefono"] = _("Escriba un teléfono válido (solo números).")
    if not form.get("direccion", "").strip():
        errors["direccion"] = _("Escriba su dirección.")
    errors.update(check_texts(form, CONTACT_COLUMNS))
    return errors


def check_registration(form: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if form.get("tipo_documento") not in {code for code, _label in DOCUMENT_TYPES}:
        errors["tipo_documento"] = _("Seleccione el tipo de documento.")
    if not _DOCUMENT.match(form.get("documento", "").strip()):
        errors["documento"] = _("Escriba el número de documento sin puntos ni espacios.")
    errors.update(check_contact(form))
    errors.update(check_new_password(form))
    if form.get("consentimiento") != "true":
        errors["consentimiento"] = _(
            "Debe autorizar el tratamiento de sus datos personales para registrarse."
        )
    return errors


def new_password_fields(errors: dict[str, str]) -> list[Field]:
    """A new password and its repetition (registration, reset, change)."""
    return [
        Field(
            "password",
            str(_l("Contraseña nueva")),
            "password",
            required=True,
            description=str(_l("Mínimo %(n)s caracteres.", n=MIN_LENGTH)),
            error=errors.get("password"),
            autocomplete="new-password",
        ),
        Field(
            "password2",
            str(_l("Repita la contraseña nueva")),
            "password",
            required=True,
            error=errors.get("password2"),
            autocomplete="new-password",
        ),
    ]


def check_new_password(form: dict[str, str]) -> dict[str, str]:
    """The same rules wherever a password is chosen."""
    password = form.get("password", "")
    if len(password) < MIN_LENGTH:
        return {"password": _("La contraseña debe tener al menos %(n)s caracteres.", n=MIN_LENGTH)}
    if password != form.get("password2", ""):
        return {"password2": _("Las contraseñas no coinciden.")}
    return {}

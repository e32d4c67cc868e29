"""An Asesor files a request that arrived by another channel (e-mail, phone, in person, chat)
on the citizen's behalf: finds the citizen's record by document or creates it, records the
citizen's consent, and files through the same engine call as the portal (same radicado,
terms and e-mails)."""

import secrets
from types import SimpleNamespace
from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.cases import CHANNELS
from engine.errors import EngineError, FormInvalid
from engine.models import Case, Event, User
from web.access import may_file_for_citizen, now, permitted
from web.attachments import Rejected, store_uploads
from web.auth.registration import _DOCUMENT, DOCUMENT_TYPES, check_contact, contact_fields
from web.extensions import db
from web.filing import filing_schema
from web.forms import build_fields, file_fields, parse_submission
from web.input_rules import check_texts
from web.outbox import commit
from web.tasks import bp

OTHER_CHANNELS = [(code, name) for code, name in CHANNELS.items() if code != "portal"]
FILING_COLUMNS = {"asunto": Case.subject}


def _citizen(document_type: str, number: str) -> User | None:
    return db.session.scalars(
        select(User).where(
            User.kind == "citizen",
            User.document_type == document_type,
            User.document_number == number,
        )
    ).first()


def _identity(args: Any) -> tuple[str, str, dict[str, str]]:
    kind = args.get("tipo_documento", "")
    number = args.get("documento", "").strip()
    errors = {}
    if kind not in {code for code, _label in DOCUMENT_TYPES}:
        errors["tipo_documento"] = _("Seleccione el tipo de documento.")
    if not _DOCUMENT.match(number):
        errors["documento"] = _("Escriba el número de documento sin puntos ni espacios.")
    return kind, number, errors


@bp.route("/radicar", methods=["GET", "POST"])
@permitted(may_file_for_citizen)
def file_for_citizen() -> str | Response | tuple[str, int]:
    source = request.form if request.method == "POST" else request.args
    searched = "documento" in source
    kind, number, errors = _identity(source) if searched else ("", "", {})
    citizen = _citizen(kind, number) if searched and not errors else None
    schema = filing_schema()
    values = parse_submission(schema, request.form) if request.method == "POST" else {}
    if request.method == "POST" and not errors:
        errors = _check(request.form, citizen)
        if not errors:
            try:
                case = _file(schema, values, citizen, kind, number)
            except Rejected as rejection:
                db.session.rollback()
                errors = {"adjuntos": rejection.message}
            except FormInvalid as invalid:
                db.session.rollback()
                errors = invalid.errors
            except EngineError as refusal:
                db.session.rollback()
                errors = {"__all__": str(refusal)}
            else:
                flash(
                    _(
                        "Radicado %(radicado)s a nombre de %(name)s. El acuse se envió a su "
                        "correo.",
                        radicado=case.radicado,
                        name=case_citizen_name(case),
                    ),
                    "success",
                )
                return redirect(url_for("tasks.case_page", radicado=case.radicado))
    contact = contact_fields(request.form, errors) if citizen is None else []
    fields = build_fields(schema, values, errors)
    named = [
        *contact,
        *fields,
        SimpleNamespace(name="canal", label=_("Canal")),
        SimpleNamespace(name="consentimiento", label=_("Autorización de datos")),
    ]
    page = render_template(
        "tasks/on_behalf.html",
        named=named,
        searched=searched and not _identity(source)[2],
        citizen=citizen,
        kind=kind,
        number=number,
        document_types=[(c, str(label)) for c, label in DOCUMENT_TYPES],
        contact=contact,
        fields=fields,
        channels=OTHER_CHANNELS,
        chosen_channel=request.form.get("canal", ""),
        errors=errors,
        schema=schema,
    )
    return (page, 400) if errors else page


def case_citizen_name(case: Case) -> str:
    citizen = db.session.get(User, case.citizen_id)
    return citizen.full_name if citizen else ""


def _check(form: Any, citizen: User | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if form.get("canal") not in dict(OTHER_CHANNELS):
        errors["canal"] = _("Indique por qué canal llegó la solicitud.")
    if form.get("consentimiento") != "true":
        errors["consentimiento"] = _(
            "Registre la autorización del ciudadano para tratar sus datos personales."
        )
    if citizen is None:
        errors.update(check_contact(form.to_dict()))
    errors.update(check_texts(form.to_dict(), FILING_COLUMNS))
    return errors


def _file(
    schema: dict[str, Any], values: dict[str, Any], citizen: User | None, kind: str, number: str
) -> Case:
    """Create the citizen's record if needed, store the uploads, file: one transaction."""
    moment = now()
    policy = current_app.config["CONSENT_POLICY_VERSION"]
    if citizen is None:
        form = request.form
        citizen = User(
            username=number,
            kind="citizen",
            full_name=form["nombre"].strip(),
            email=form["email"].strip(),
            phone=form["telefono"].strip(),
            address=form["direccion"].strip(),
            document_type=kind,
            document_number=number,
            # No usable password: this citizen follows the case by e-mail (the portal has no
            # password recovery yet to let them set one).
            password_hash="!" + secrets.token_hex(16),
            consent_policy_version=policy,
            consent_at=moment,
            created_at=moment,
        )
        db.session.add(citizen)
        db.session.flush()
    for name in file_fields(schema):
        stored = store_uploads(request.files.getlist(name), g.user)
        values[name] = [str(a.id) for a in stored]
    channel = request.form["canal"]
    case = g.engine.file_case(
        citizen,
        values,
        [{"actividad": "5.2.5", "en": moment.isoformat(), "canal": channel}],
        channel=channel,
    )
    db.session.add(
        Event(
            case_id=case.id,
            at=moment,
            actor_id=g.user.id,
            kind="filed_on_behalf",
            label=f"Radicado por el Asesor ({CHANNELS[channel]})",
            data={"canal": channel, "consentimiento": True, "politica": policy},
        )
    )
    commit()
    return case

"""Portal pages. Every case page checks that the case is the logged-in citizen's."""

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from werkzeug.wrappers import Response

from engine import satisfaction
from engine.errors import EngineError, FormInvalid
from engine.models import Attachment, Case, HumanTask, User
from engine.models.cases import ANSWER, CITIZEN_FILED
from web import trail
from web.access import (
    citizen_required,
    log_in,
    may_download,
    may_look_up,
    may_read_answer,
    now,
    verified_citizen_required,
    visible_attachments,
)
from web.attachments import Rejected, store_uploads
from web.auth import accounts, password_reset
from web.auth.registration import (
    check_contact,
    check_new_password,
    contact_fields,
    new_password_fields,
)
from web.auth.views import _config, _too_many
from web.case_labels import status_label
from web.downloads import attachment_response, file_download, text_download
from web.errors import busy_message, database_busy, roll_back
from web.extensions import db, limiter
from web.filing import (
    FILING_TOKEN_FIELD,
    case_filed_with,
    choice_titles,
    filing_nonce,
    filing_schema,
    issue_filing_token,
    take_filing_token,
    task_schema,
)
from web.forms import Field, build_fields, file_fields, parse_submission
from web.input_rules import check_texts
from web.outbox import commit
from web.passwords import verify_password
from web.portal import bp
from web.timeline import citizen_timeline
from workers.documents import letters


@bp.get("/")
def home() -> str:
    trail.record(trail.ENTERED)
    schema = filing_schema()
    return render_template(
        "portal/home.html",
        services=choice_titles(schema, "servicio"),
        types=choice_titles(schema, "tipo"),
    )


# The filing fields the case record stores as text: the column, not only the deployed form,
# bounds them (a process owner may widen the form).
FILING_COLUMNS = {"asunto": Case.subject}


@bp.route("/radicar", methods=["GET", "POST"])
@verified_citizen_required
def new_case() -> str | Response | tuple[str, int]:
    schema = filing_schema()
    if request.method == "GET":
        values = {k: v for k, v in request.args.items() if k in ("servicio", "tipo")}
        return _filing_page(schema, values, {}, issue_filing_token(g.user))
    values = parse_submission(schema, request.form)
    token = request.form.get(FILING_TOKEN_FIELD, "")
    nonce = filing_nonce(token, g.user)
    if nonce is None:
        expired = {"__all__": _("El formulario expiró. Revise los datos y envíelo de nuevo.")}
        return _filing_page(schema, values, expired, issue_filing_token(g.user)), 400
    if (filed := case_filed_with(nonce)) is not None:
        return _already_filed(filed)
    errors = check_texts(request.form.to_dict(), FILING_COLUMNS)
    if errors:
        return _filing_page(schema, values, errors, token), 400
    try:
        case = _file(schema, values, nonce)
    except FilingTokenTaken:
        db.session.rollback()
        if (filed := case_filed_with(nonce)) is not None:
            return _already_filed(filed)
        busy = {"__all__": _("Su solicitud se está radicando. Consulte «Mis casos».")}
        return _filing_page(schema, values, busy, token), 409
    except Rejected as rejection:
        db.session.rollback()
        return _filing_page(schema, values, {"adjuntos": rejection.message}, token), 400
    except FormInvalid as invalid:
        db.session.rollback()
        return _filing_page(schema, values, invalid.errors, token), 400
    except EngineError as refusal:  # e.g. a diagram script over its budget
        db.session.rollback()
        return _filing_page(schema, values, {"__all__": str(refusal)}, token), 400
    except SQLAlchemyError as failure:
        # Nothing was filed: say so, and keep what the citizen wrote on the page.
        roll_back(failure)
        message = (
            busy_message()
            if database_busy(failure)
            else _(
                "No pudimos radicar su solicitud por una falla momentánea. "
                "Sus datos siguen aquí: intente de nuevo."
            )
        )
        return _filing_page(schema, values, {"__all__": message}, token), 503
    flash(
        _(
            "Radicamos su caso con el número %(radicado)s. Le enviamos el acuse a su correo.",
            radicado=case.radicado,
        ),
        "success",
    )
    return redirect(url_for("portal.case_detail", radicado=case.radicado))


def _filing_page(
    schema: dict[str, Any], values: dict[str, Any], errors: dict[str, str], token: str
) -> str:
    fields = build_fields(schema, values, errors)
    fields.append(Field(FILING_TOKEN_FIELD, "", "hidden", value=token))
    return render_template("portal/new_case.html", schema=schema, fields=fields, errors=errors)


class FilingTokenTaken(Exception):
    """Another submission of the same form holds (or held) its token."""


def _file(schema: dict[str, Any], values: dict[str, Any], nonce: str) -> Case:
    """Take the form's token, store the uploads, file the case: one transaction."""
    try:
        token = take_filing_token(nonce, g.user)
    except IntegrityError as taken:
        raise FilingTokenTaken from taken
    for name in file_fields(schema):
        stored = store_uploads(request.files.getlist(name), g.user)
        values[name] = [str(a.id) for a in stored]
    case = g.engine.file_case(g.user, values, trail.current())
    token.case_id = case.id
    commit()
    return case


def _already_filed(case: Case) -> Response:
    flash(
        _("Esta solicitud ya quedó radicada con el número %(radicado)s.", radicado=case.radicado),
        "info",
    )
    return redirect(url_for("portal.case_detail", radicado=case.radicado))


def _own_case(radicado: str) -> Case:
    case = db.session.scalars(select(Case).where(Case.radicado == radicado)).first()
    if case is None or case.citizen_id != g.user.id:
        abort(404)
    return case


@bp.get("/mis-casos")
@citizen_required
def my_cases() -> str:
    cases = db.session.scalars(
        select(Case).where(Case.citizen_id == g.user.id).order_by(Case.filed_at.desc())
    ).all()
    return render_template("portal/my_cases.html", cases=cases, status_label=status_label)


@bp.get("/mis-casos/<radicado>")
@citizen_required
def case_detail(radicado: str) -> str:
    case = _own_case(radicado)
    schema = filing_schema()
    attachments = visible_attachments(g.user, case)
    return render_template(
        "portal/case_detail.html",
        case=case,
        reply_task=_reply_task(case),
        status=status_label(case.status),
        timeline=citizen_timeline(case),
        filed_files=[a for a in attachments if a.visibility == CITIZEN_FILED],
        answer_files=[a for a in attachments if a.visibility == ANSWER],
        services=choice_titles(schema, "servicio"),
        types=choice_titles(schema, "tipo"),
        survey_open=satisfaction.may_answer(db.session, case),
    )


def _reply_task(case: Case) -> HumanTask | None:
    """The open task in which the process waits for this citizen (e.g. missing information)."""
    return db.session.scalars(
        select(HumanTask).where(
            HumanTask.case_id == case.id,
            HumanTask.state == "open",
            HumanTask.assignee_id == g.user.id,
        )
    ).first()


@bp.route("/mis-casos/<radicado>/informacion", methods=["GET", "POST"])
@citizen_required
def supply_information(radicado: str) -> str | Response | tuple[str, int]:
    """The citizen completes their request (Ley 1755 art. 17): text and files, one commit."""
    case = _own_case(radicado)
    task = _reply_task(case)
    if task is None:
        flash(_("Su caso no está esperando información de su parte."), "info")
        return redirect(url_for("portal.case_detail", radicado=radicado))
    schema = task_schema(task)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = parse_submission(schema, request.form)
        try:
            for name in file_fields(schema):
                stored = store_uploads(request.files.getlist(name), g.user, step=task.name)
                for attachment in stored:
                    attachment.case_id = case.id
                values[name] = [str(a.id) for a in stored]
            g.engine.complete_task(task.id, g.user, values)
            commit()
        except Rejected as rejection:
            db.session.rollback()
            errors = {name: rejection.message for name in file_fields(schema)}
        except FormInvalid as invalid:
            db.session.rollback()
            errors = invalid.errors
        else:
            flash(
                _(
                    "Recibimos su información. El plazo para responderle volvió a correr; "
                    "le avisaremos por correo electrónico."
                ),
                "success",
            )
            return redirect(url_for("portal.case_detail", radicado=radicado))
    page = render_template(
        "portal/supply_information.html",
        case=case,
        schema=schema,
        fields=build_fields(schema, values, errors),
        errors=errors,
    )
    return (page, 400) if errors else page


def _answered_case(radicado: str) -> Case:
    """The case whose final answer the logged-in user may read (404 otherwise)."""
    case = db.session.scalars(select(Case).where(Case.radicado == radicado)).first()
    if case is None or not may_read_answer(g.user, case):
        abort(404)
    return case


@bp.get("/mis-casos/<radicado>/respuesta.txt")
@citizen_required
def answer_download(radicado: str) -> Response:
    case = _answered_case(radicado)
    header = _("Respuesta al radicado %(radicado)s", radicado=case.radicado)
    body = f"{header}\n{case.subject}\n\n{case.answer}\n"
    return text_download(body, f"respuesta-{case.radicado}.txt")


@bp.get("/respuestas/<radicado>.pdf")
def answer_letter(radicado: str) -> Response:
    """The final answer as a PDF letter: for the citizen, and for staff who may see the case."""
    if g.user is None:
        return redirect(url_for("auth.citizen_login", next=request.full_path))
    case = _answered_case(radicado)
    citizen = db.session.get(User, case.citizen_id)
    types = choice_titles(filing_schema(), "tipo")
    annexes = [a.filename for a in visible_attachments(g.user, case) if a.visibility == ANSWER]
    letter = letters.answer_letter(
        case, citizen, str(types.get(case.request_type, case.request_type)), annexes
    )
    return file_download(letters.render(letter), "application/pdf", f"respuesta-{radicado}.pdf")


@bp.route("/mis-datos", methods=["GET", "POST"])
@citizen_required
def profile() -> str | Response | tuple[str, int]:
    user = g.user
    values = {
        "nombre": user.full_name,
        "email": user.email,
        "telefono": user.phone,
        "direccion": user.address,
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in values}
        errors = check_contact(values)
        if not errors:
            new_address = values["email"] != user.email
            user.full_name = values["nombre"]
            user.email = values["email"]
            user.phone = values["telefono"]
            user.address = values["direccion"]
            if new_address:
                # A new address is confirmed like the first one before the next filing.
                user.email_verified_at = None
                accounts.send_verification(user, now())
            commit()
            trail.record(trail.DATA_UPDATED)
            flash(_("Sus datos quedaron actualizados."), "success")
            if new_address:
                flash(_("Le enviamos un enlace para confirmar su nuevo correo."), "info")
            return redirect(url_for("portal.new_case"))
    page = render_template(
        "portal/profile.html", fields=contact_fields(values, errors), errors=errors
    )
    return (page, 400) if errors else page


def _refused_form(response: Response) -> bool:
    return response.status_code == 400


@bp.route("/mis-datos/contrasena", methods=["GET", "POST"])
@citizen_required
@limiter.limit(
    _config("LOGIN_FAILURE_LIMIT"),
    key_func=lambda: f"cambio-clave:{g.user.id}",
    methods=["POST"],
    deduct_when=_refused_form,
    on_breach=_too_many(
        _l("Demasiados intentos fallidos. Espere unos minutos antes de intentar de nuevo.")
    ),
)
def change_password() -> str | Response | tuple[str, int]:
    """The current password, then the new one twice; other sessions of the citizen end."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not verify_password(g.user.password_hash, request.form.get("actual", "")):
            errors["actual"] = _("La contraseña actual no es correcta.")
        else:
            errors = check_new_password(request.form.to_dict())
        if not errors:
            steps = trail.current()
            password_reset.set_password(
                g.user, request.form["password"], now(), "contraseña cambiada"
            )
            log_in(g.user)  # this browser stays in, with a new session
            trail.restore(steps)
            commit()
            flash(_("Su contraseña quedó cambiada."), "success")
            return redirect(url_for("portal.profile"))
    current = Field(
        "actual",
        str(_l("Contraseña actual")),
        "password",
        required=True,
        error=errors.get("actual"),
        autocomplete="current-password",
    )
    page = render_template(
        "portal/change_password.html",
        fields=[current, *new_password_fields(errors)],
        errors=errors,
    )
    return (page, 400) if errors else page


def _lookup_failed(response: Response) -> bool:
    return response.status_code == 404


@bp.route("/consulta", methods=["GET", "POST"])
@limiter.limit(
    _config("CASE_LOOKUP_FAILURE_LIMIT"),
    methods=["POST"],
    deduct_when=_lookup_failed,
    on_breach=_too_many(
        _l("Demasiadas consultas sin resultado desde su conexión. Intente de nuevo más tarde.")
    ),
)
def lookup() -> str | tuple[str, int]:
    """A case by radicado and the code of its acknowledgement e-mail, without logging in:
    read-only. A wrong code and an unknown radicado get the same answer."""
    radicado = request.form.get("radicado", "").strip().upper()
    code = request.form.get("codigo", "").strip()
    if request.method == "GET":
        return render_template("portal/lookup.html", radicado="", error=None)
    case = None
    if radicado and len(radicado) <= 30 and len(code) <= 30:
        case = db.session.scalars(select(Case).where(Case.radicado == radicado)).first()
    if not may_look_up(case, code):
        error = _(
            "No encontramos un caso con ese radicado y ese código. Revíselos en el correo "
            "con el que le confirmamos la radicación."
        )
        return render_template("portal/lookup.html", radicado=radicado, error=error), 404
    schema = filing_schema()
    return render_template(
        "portal/lookup_result.html",
        case=case,
        status=status_label(case.status),
        timeline=citizen_timeline(case),
        services=choice_titles(schema, "servicio"),
        types=choice_titles(schema, "tipo"),
    )


@bp.get("/adjuntos/<id:attachment_id>")
def attachment(attachment_id: int) -> Response:
    """Citizens get their own cases' files; staff those of cases their groups worked on."""
    if g.user is None:
        return redirect(url_for("auth.citizen_login", next=request.full_path))
    item = db.session.get(Attachment, attachment_id)
    if item is None or not may_download(g.user, item):
        abort(404)
    return attachment_response(item)


@bp.errorhandler(EngineError)
def _engine_error(error: EngineError) -> tuple[str, int]:
    db.session.rollback()
    current_app.logger.info("engine refused a portal action: %s", error)
    return render_template("error.html", title=_("No fue posible"), message=str(error)), 409

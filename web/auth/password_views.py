"""«¿Olvidó su contraseña?»: ask for a reset link, then choose a new password with it."""

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.models import User
from web.access import log_out, now
from web.auth import bp, password_reset
from web.auth.registration import check_new_password, new_password_fields
from web.auth.tokens import Outcome
from web.auth.views import _config, _too_many
from web.extensions import db, limiter
from web.outbox import commit

_TOO_MANY_RESETS = _too_many(
    _l("Se han pedido demasiados enlaces desde su conexión. Intente de nuevo más tarde.")
)


def _document_key() -> str:
    return "restablecer:" + request.form.get("documento", "").strip().lower()


@bp.route("/olvido", methods=["GET", "POST"])
@limiter.limit(_config("PASSWORD_RESET_LIMIT"), methods=["POST"], on_breach=_TOO_MANY_RESETS)
@limiter.limit(
    _config("PASSWORD_RESET_LIMIT"),
    key_func=_document_key,
    methods=["POST"],
    on_breach=_TOO_MANY_RESETS,
)
def forgot_password() -> str | Response | tuple[str, int]:
    """The answer is the same whether the document has an account or not: only its holder's
    mailbox learns the difference."""
    error = None
    document = request.form.get("documento", "").strip()
    if request.method == "POST":
        if not document or len(document) > 20:
            error = _("Escriba su número de documento sin puntos ni espacios.")
        else:
            citizen = db.session.scalars(
                select(User).where(
                    User.document_number == document,
                    User.kind == "citizen",
                    User.active.is_(True),
                )
            ).first()
            if citizen is not None:
                password_reset.send_reset(citizen, now())
                commit()
            return redirect(url_for("auth.reset_requested"))
    return render_template("auth/forgot.html", error=error, document=document), (
        400 if error else 200
    )


@bp.get("/olvido/revise-su-correo")
def reset_requested() -> str:
    return render_template("auth/reset_requested.html", minutes=password_reset.lifetime_minutes())


@bp.route("/restablecer/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response | tuple[str, int]:
    """The link from the e-mail. Opening it spends nothing (mail scanners follow links);
    choosing the password does."""
    outcome = password_reset.check_reset(token, now())
    if outcome is not Outcome.VALID:
        return _refused(outcome)
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = check_new_password(request.form.to_dict())
        if not errors:
            outcome, user = password_reset.reset_password(token, request.form["password"], now())
            if outcome is not Outcome.VALID or user is None:
                db.session.rollback()
                return _refused(outcome)
            if g.user is not None:
                log_out()
            commit()
            login = "auth.citizen_login" if user.kind == "citizen" else "auth.staff_login"
            flash(_("Su contraseña quedó cambiada. Ingrese con la nueva."), "success")
            return redirect(url_for(login))
    return render_template(
        "auth/reset.html", token=token, fields=new_password_fields(errors), errors=errors
    ), (400 if errors else 200)


def _refused(outcome: Outcome) -> tuple[str, int]:
    page = render_template("auth/reset_failed.html", result=outcome.value)
    return page, 410 if outcome is Outcome.EXPIRED else 400

"""Staff passwords set through a single-use link sent by e-mail: when an administrator creates
an account or resets a password, the person chooses the new one at ``/cuenta/funcionarios/
clave/<token>``. The link's token lives in ``account_tokens`` (``web.auth.tokens``); using it
ends the person's open sessions."""

from datetime import datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import update
from werkzeug.wrappers import Response

from engine.models import Event, User, UserSession
from web.access import now
from web.auth import accounts, bp, tokens
from web.extensions import db
from web.outbox import commit
from web.passwords import MIN_LENGTH, hash_password

STAFF_PASSWORD = "staff_password"
LIFETIME = timedelta(hours=48)


def send_link(user: User, moment: datetime, new_account: bool) -> None:
    """E-mail ``user`` a link to set their password; earlier links stop working."""
    token, row_id = tokens.issue(user, STAFF_PASSWORD, moment, LIFETIME)
    accounts.queue_mail(
        "clave_funcionario",
        user.email,
        f"clave-funcionario:{row_id}",
        {
            "nombre": user.full_name,
            "usuario": user.username,
            "enlace": accounts.public_url("auth.staff_password", token=token),
            "horas": int(LIFETIME.total_seconds() // 3600),
            "cuenta_nueva": new_account,
        },
    )


def _password_error(password: str, again: str) -> str | None:
    if len(password) < MIN_LENGTH:
        return _("La contraseña debe tener al menos %(n)s caracteres.", n=MIN_LENGTH)
    if password != again:
        return _("Las dos contraseñas no coinciden.")
    return None


@bp.route("/funcionarios/clave/<token>", methods=["GET", "POST"])
def staff_password(token: str) -> str | Response | tuple[str, int]:
    """Opening the link shows the form (a mail scanner that follows it spends nothing)."""
    if len(token) > tokens.MAX_LENGTH:
        abort(404)
    moment = now()
    outcome, user = tokens.check(token, STAFF_PASSWORD, moment)
    if outcome is not tokens.Outcome.VALID or user is None or not user.active:
        return render_template("auth/staff_password_failed.html", outcome=outcome.value), 410
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        error = _password_error(password, request.form.get("password2", ""))
        if error is None:
            tokens.check(token, STAFF_PASSWORD, moment, use=True)
            user.password_hash = hash_password(password)
            db.session.execute(
                update(UserSession)
                .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
                .values(revoked_at=moment)
            )
            db.session.add(
                Event(at=moment, actor_id=user.id, kind="staff_password_set", label=user.username)
            )
            commit()
            flash(_("Su contraseña quedó guardada. Ingrese con ella."), "success")
            return redirect(url_for("auth.staff_login"))
    return render_template(
        "auth/staff_password.html", token=token, user=user, error=error, min_length=MIN_LENGTH
    ), (400 if error else 200)

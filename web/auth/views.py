"""Register and verify the e-mail address, log in and log out."""

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_limiter import RateLimitExceeded, RequestLimit
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from engine.models import User
from web import trail
from web.access import citizen_required, log_in, log_out, now
from web.auth import accounts, bp
from web.auth.registration import check_registration, registration_fields
from web.extensions import db, limiter, login_attempt_key
from web.outbox import commit
from web.passwords import DUMMY_HASH, hash_password, verify_password


def _config(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _failed_login(response: Response) -> bool:
    return response.status_code == 401


def _accepted(response: Response) -> bool:
    return response.status_code == 302


def _too_many(message: LazyString) -> Callable[[RequestLimit], Response]:
    def breach(_limit: RequestLimit) -> Response:
        page = render_template("error.html", title=_("Demasiados intentos"), message=str(message))
        return make_response(page, 429)

    return breach


@bp.app_errorhandler(RateLimitExceeded)
def _rate_limited(error: RateLimitExceeded) -> Response | tuple[str, int]:
    """Each limit says in Spanish what it limits (its ``on_breach`` page)."""
    if error.response is not None:
        return error.response
    message = _("Demasiados intentos. Espere unos minutos antes de intentar de nuevo.")
    return render_template("error.html", title=_("Demasiados intentos"), message=message), 429


def _limit_failed_logins(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only failures count: a correct password never uses up a limit. Per account and
    address (the owner elsewhere still gets in), and in all from one address."""
    per_account = limiter.limit(
        _config("LOGIN_FAILURE_LIMIT"),
        key_func=login_attempt_key,
        methods=["POST"],
        deduct_when=_failed_login,
        on_breach=_too_many(
            _l(
                "Demasiados intentos fallidos con este usuario. "
                "Espere unos minutos antes de intentar de nuevo."
            )
        ),
    )
    per_address = limiter.limit(
        _config("LOGIN_ADDRESS_FAILURE_LIMIT"),
        methods=["POST"],
        deduct_when=_failed_login,
        on_breach=_too_many(
            _l(
                "Demasiados intentos fallidos desde su conexión. "
                "Espere unos minutos antes de intentar de nuevo."
            )
        ),
    )
    return per_address(per_account(view))


def _safe_next(default: str) -> str:
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def _authenticate(kind: str, name: str, password: str) -> User | None:
    column = User.document_number if kind == "citizen" else User.username
    user = db.session.scalars(
        select(User).where(column == name, User.kind == kind, User.active.is_(True))
    ).first()
    if user is None:
        verify_password(DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def _start_session(user: User) -> None:
    steps = trail.current()
    log_in(user)
    trail.restore(steps)


@bp.route("/registro", methods=["GET", "POST"])
@limiter.limit(
    _config("REGISTRATION_RATE_LIMIT"),
    methods=["POST"],
    deduct_when=_accepted,
    on_breach=_too_many(
        _l("Se han hecho demasiados registros desde su conexión. Intente de nuevo más tarde.")
    ),
)
def register() -> str | Response | tuple[str, int]:
    """5.2.2. Whether the document has an account or not, the answer is the same page;
    the e-mail tells what happened (a link to verify, or a notice to the holder)."""
    trail.record(trail.ENTERED)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: v.strip() for k, v in request.form.items() if not k.startswith("password")}
        errors = check_registration(request.form.to_dict())
        if not errors:
            # Hashed either way, so both answers take the same time.
            password_hash = hash_password(request.form["password"])
            _register(values, password_hash)
            trail.record(trail.REGISTERED)
            return redirect(url_for("auth.registration_sent"))
    return render_template(
        "auth/register.html",
        fields=registration_fields(values, errors),
        errors=errors,
        consent_checked=request.form.get("consentimiento") == "true",
        policy_version=current_app.config["CONSENT_POLICY_VERSION"],
    ), (400 if errors else 200)


def _register(values: dict[str, Any], password_hash: str) -> None:
    moment = now()
    document = values["documento"]
    holder = _account_holding(document)
    if holder is None:
        citizen = User(
            username=document,
            kind="citizen",
            full_name=values["nombre"],
            email=values["email"],
            password_hash=password_hash,
            document_type=values["tipo_documento"],
            document_number=document,
            phone=values["telefono"],
            address=values["direccion"],
            consent_policy_version=current_app.config["CONSENT_POLICY_VERSION"],
            consent_at=moment,
            created_at=moment,
        )
        db.session.add(citizen)
        try:
            db.session.flush()
        except IntegrityError:
            # The same document registered a moment ago by another request.
            db.session.rollback()
            holder = _account_holding(document)
        else:
            accounts.send_verification(citizen, moment)
    if holder is not None and holder.kind == "citizen":
        accounts.tell_holder(holder, moment, attempt=secrets.token_hex(8))
    commit()


def _account_holding(document: str) -> User | None:
    query = select(User).where((User.document_number == document) | (User.username == document))
    return db.session.scalars(query).first()


@bp.get("/registro/revise-su-correo")
def registration_sent() -> str:
    hours = accounts.lifetime_hours()
    return render_template("auth/registration_sent.html", hours=hours)


@bp.route("/verificar/<token>", methods=["GET", "POST"])
def verify_email(token: str) -> str | Response | tuple[str, int]:
    """The link from the e-mail. Opening it only shows a button, so a mail scanner that
    follows links does not use it up; the citizen's click (a POST) does."""
    if len(token) > 200:
        abort(404)
    if request.method == "GET":
        return render_template("auth/verify.html", token=token)
    result, user = accounts.verify(token, now())
    if result is not accounts.Verification.VALID:
        db.session.rollback()
        return render_template("auth/verify_failed.html", result=result.value), (
            410 if result is accounts.Verification.EXPIRED else 400
        )
    logged_in = g.user is not None and user is not None and g.user.id == user.id
    if logged_in:
        # The session's privileges change: it is rotated in the same transaction.
        steps = trail.current()
        log_in(user)
        trail.restore(steps)
    commit()
    flash(_("Su correo quedó verificado."), "success")
    return redirect(url_for("portal.new_case" if logged_in else "auth.citizen_login"))


@bp.route("/verificar", methods=["GET", "POST"])
@citizen_required
@limiter.limit(
    _config("VERIFICATION_MAIL_LIMIT"),
    key_func=lambda: f"verificacion:{g.user.id}",
    methods=["POST"],
    on_breach=_too_many(
        _l("Ya le enviamos varios enlaces. Revise su correo o intente de nuevo más tarde.")
    ),
)
def verification_pending() -> str | Response:
    """An unverified citizen who tries to file lands here and may ask for a new link."""
    if g.user.email_verified_at is not None:
        return redirect(url_for("portal.new_case"))
    if request.method == "POST":
        accounts.send_verification(g.user, now())
        commit()
        flash(_("Le enviamos un nuevo enlace a su correo."), "success")
        return redirect(url_for("auth.verification_pending"))
    return render_template(
        "auth/verification_pending.html", email=g.user.email, hours=accounts.lifetime_hours()
    )


@bp.route("/ingresar", methods=["GET", "POST"])
@_limit_failed_logins
def citizen_login() -> str | Response | tuple[str, int]:
    trail.record(trail.ENTERED)
    error = None
    if request.method == "POST":
        document = request.form.get("documento", "").strip()
        user = _authenticate("citizen", document, request.form.get("password", ""))
        if user is not None:
            _start_session(user)
            commit()
            trail.record(trail.LOGGED_IN)
            return redirect(_safe_next(url_for("portal.my_cases")))
        error = _("Número de documento o contraseña incorrectos.")
    return render_template(
        "auth/login.html",
        kind="citizen",
        error=error,
        name=request.form.get("documento", ""),
        next=_safe_next(""),
    ), (401 if error else 200)


@bp.route("/funcionarios", methods=["GET", "POST"])
@_limit_failed_logins
def staff_login() -> str | Response | tuple[str, int]:
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        user = _authenticate("staff", username, request.form.get("password", ""))
        if user is not None:
            log_in(user)
            commit()
            return redirect(_safe_next(url_for("tasks.inbox")))
        error = _("Usuario o contraseña incorrectos.")
    return render_template(
        "auth/login.html",
        kind="staff",
        error=error,
        name=request.form.get("username", ""),
        next=_safe_next(""),
    ), (401 if error else 200)


@bp.post("/salir")
def logout() -> Response:
    was_staff = g.user is not None and g.user.kind == "staff"
    log_out()
    commit()
    flash(_("Cerró su sesión."), "info")
    return redirect(url_for("auth.staff_login" if was_staff else "portal.home"))

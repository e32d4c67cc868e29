"""Register, log in and log out."""

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.models import User
from web import trail
from web.access import log_in, log_out, now
from web.auth import bp
from web.auth.registration import check_registration, registration_fields
from web.extensions import db, limiter, login_name_key
from web.outbox import commit
from web.passwords import DUMMY_HASH, hash_password, verify_password


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


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
def register() -> str | Response:
    trail.record(trail.ENTERED)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: v.strip() for k, v in request.form.items() if not k.startswith("password")}
        errors = check_registration(request.form.to_dict())
        document = values.get("documento", "")
        if not errors and _document_taken(document):
            errors["documento"] = _("Ya existe una cuenta con este número de documento.")
        if not errors:
            moment = now()
            citizen = User(
                username=document,
                kind="citizen",
                full_name=values["nombre"],
                email=values["email"],
                password_hash=hash_password(request.form["password"]),
                document_type=values["tipo_documento"],
                document_number=document,
                phone=values["telefono"],
                address=values["direccion"],
                consent_policy_version=current_app.config["CONSENT_POLICY_VERSION"],
                consent_at=moment,
                created_at=moment,
            )
            db.session.add(citizen)
            commit()
            _start_session(citizen)
            trail.record(trail.REGISTERED)
            flash(_("Su cuenta quedó creada. Ya puede radicar su solicitud."), "success")
            return redirect(url_for("portal.new_case"))
    return render_template(
        "auth/register.html",
        fields=registration_fields(values, errors),
        errors=errors,
        consent_checked=request.form.get("consentimiento") == "true",
        policy_version=current_app.config["CONSENT_POLICY_VERSION"],
    ), (400 if errors else 200)


def _document_taken(document: str) -> bool:
    query = select(User.id).where((User.document_number == document) | (User.username == document))
    return db.session.scalars(query).first() is not None


@bp.route("/ingresar", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, key_func=login_name_key, methods=["POST"])
def citizen_login() -> str | Response:
    trail.record(trail.ENTERED)
    error = None
    if request.method == "POST":
        document = request.form.get("documento", "").strip()
        user = _authenticate("citizen", document, request.form.get("password", ""))
        if user is not None:
            _start_session(user)
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
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, key_func=login_name_key, methods=["POST"])
def staff_login() -> str | Response:
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        user = _authenticate("staff", username, request.form.get("password", ""))
        if user is not None:
            log_in(user)
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
    flash(_("Cerró su sesión."), "info")
    return redirect(url_for("auth.staff_login" if was_staff else "portal.home"))

"""Citizens' accounts: e-mail verification by a single-use, expiring link, and the e-mails
that registration sends.

E-mails are outbox rows (operation ``account_mail``) written in the request's transaction;
the workers render and send them once per key, like every other e-mail of the product.
"""

from datetime import datetime
from typing import Any

from flask import current_app, request, url_for

from engine.models import OutboxMessage, User
from web.auth import tokens
from web.extensions import db

VERIFY_EMAIL = "verify_email"

# Kept under its old name: the views and tests speak of a verification's outcome.
Verification = tokens.Outcome


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an e-mail: PUBLIC_URL when configured, else this request's host."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + url_for(endpoint, **values)


def queue_mail(
    template: str, recipient: str, key: str, context: dict[str, Any], citizen: bool = True
) -> None:
    """An account e-mail to one address; ``citizen``: it carries the portal's footer."""
    db.session.add(
        OutboxMessage(
            key=f"cuenta:{key}",
            instance_id=None,
            task_id=None,
            operation="account_mail",
            params={
                "plantilla": template,
                "para": recipient,
                "pie_ciudadano": citizen,
                **context,
            },
            status="pending",
            created_at=current_app.extensions["clock"].now(),
        )
    )


def _new_verification_link(user: User, moment: datetime) -> tuple[str, str]:
    """A fresh token for ``user`` (earlier unused ones stop working); its link and key."""
    lifetime = current_app.config["EMAIL_VERIFICATION_LIFETIME"]
    token, row_id = tokens.issue(user, VERIFY_EMAIL, moment, lifetime)
    return public_url("auth.verify_email", token=token), f"verificacion:{row_id}"


def send_verification(user: User, moment: datetime) -> None:
    """E-mail ``user`` a link that proves the address is theirs."""
    link, key = _new_verification_link(user, moment)
    queue_mail(
        "verificar_correo",
        user.email,
        key,
        {"nombre": user.full_name, "enlace": link, "horas": lifetime_hours()},
    )


def tell_holder(holder: User, moment: datetime, attempt: str) -> None:
    """Someone tried to register with a document that has an account: its holder hears of it.

    A holder who never verified the address gets a new link with it, so a lost first
    e-mail does not leave the account unusable."""
    context: dict[str, Any] = {
        "nombre": holder.full_name,
        "ingreso": public_url("auth.citizen_login"),
        "enlace": None,
        "horas": lifetime_hours(),
    }
    key = f"registro-existente:{holder.id}:{attempt}"
    if holder.email_verified_at is None:
        context["enlace"], key = _new_verification_link(holder, moment)
        key = f"registro-existente:{key}"
    queue_mail("registro_existente", holder.email, key, context)


def verify(token: str, moment: datetime) -> tuple[Verification, User | None]:
    """Use a verification token once; the caller commits."""
    result, user = tokens.check(token, VERIFY_EMAIL, moment, use=True)
    if result is Verification.VALID and user is not None and user.email_verified_at is None:
        user.email_verified_at = moment
    return result, user


def lifetime_hours() -> int:
    return int(current_app.config["EMAIL_VERIFICATION_LIFETIME"].total_seconds() // 3600)

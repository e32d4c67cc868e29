"""Citizens' accounts: e-mail verification by a single-use, expiring link, and the e-mails
that registration sends.

E-mails are outbox rows (operation ``account_mail``) written in the request's transaction;
the workers render and send them once per key, like every other e-mail of the product.
"""

import enum
import hashlib
import secrets
from datetime import datetime
from typing import Any

from flask import current_app, request, url_for
from sqlalchemy import select, update

from engine.models import AccountToken, OutboxMessage, User
from web.extensions import db

VERIFY_EMAIL = "verify_email"


class Verification(enum.Enum):
    VERIFIED = "verified"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an e-mail: PUBLIC_URL when configured, else this request's host."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + url_for(endpoint, **values)


def queue_mail(template: str, recipient: str, key: str, context: dict[str, Any]) -> None:
    db.session.add(
        OutboxMessage(
            key=f"cuenta:{key}",
            instance_id=None,
            task_id=None,
            operation="account_mail",
            params={"plantilla": template, "para": recipient, **context},
            status="pending",
            created_at=current_app.extensions["clock"].now(),
        )
    )


def _new_verification_link(user: User, moment: datetime) -> tuple[str, str]:
    """A fresh token for ``user`` (earlier unused ones stop working); its link and key."""
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == VERIFY_EMAIL,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=moment)
    )
    token = secrets.token_urlsafe(32)
    row = AccountToken(
        token_hash=_hash(token),
        user_id=user.id,
        purpose=VERIFY_EMAIL,
        created_at=moment,
        expires_at=moment + current_app.config["EMAIL_VERIFICATION_LIFETIME"],
    )
    db.session.add(row)
    db.session.flush()
    return public_url("auth.verify_email", token=token), f"verificacion:{row.id}"


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
    row = db.session.scalars(
        select(AccountToken)
        .where(AccountToken.token_hash == _hash(token), AccountToken.purpose == VERIFY_EMAIL)
        .with_for_update()
    ).first()
    if row is None:
        return Verification.UNKNOWN, None
    user = db.session.get(User, row.user_id)
    if row.used_at is not None:
        return Verification.USED, user
    if moment >= row.expires_at:
        return Verification.EXPIRED, user
    row.used_at = moment
    if user is not None and user.email_verified_at is None:
        user.email_verified_at = moment
    return Verification.VERIFIED, user


def lifetime_hours() -> int:
    return int(current_app.config["EMAIL_VERIFICATION_LIFETIME"].total_seconds() // 3600)

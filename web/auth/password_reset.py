"""Password reset by a single-use, expiring e-mail link, for citizens and staff alike.

``send_reset`` is what "¿Olvidó su contraseña?" calls; an administrator's "restablecer
contraseña" for a staff user calls it too (or ``issue_reset`` to get the link itself).
Setting the new password spends the token, retires the user's other reset links and ends
every session the user had open.
"""

from datetime import datetime

from flask import current_app
from sqlalchemy import update

from engine.models import Event, User, UserSession
from web.auth import tokens
from web.auth.accounts import public_url, queue_mail
from web.extensions import db
from web.passwords import hash_password

RESET_PASSWORD = "reset_password"


def lifetime_minutes() -> int:
    return int(current_app.config["PASSWORD_RESET_LIFETIME"].total_seconds() // 60)


def issue_reset(user: User, moment: datetime) -> tuple[str, int]:
    """A new reset link for ``user`` (earlier ones stop working): the link and the token's
    row id. Flushed with the caller's transaction."""
    lifetime = current_app.config["PASSWORD_RESET_LIFETIME"]
    token, row_id = tokens.issue(user, RESET_PASSWORD, moment, lifetime)
    return public_url("auth.reset_password", token=token), row_id


def send_reset(user: User, moment: datetime, requested_by: User | None = None) -> None:
    """E-mail ``user`` a link to choose a new password; the caller commits."""
    link, row_id = issue_reset(user, moment)
    queue_mail(
        "restablecer_clave",
        user.email,
        f"restablecer:{row_id}",
        {"nombre": user.full_name, "enlace": link, "minutos": lifetime_minutes()},
        citizen=user.kind == "citizen",
    )
    _log(user, moment, "restablecimiento solicitado", requested_by)


def check_reset(token: str, moment: datetime) -> tokens.Outcome:
    """Whether the link still works, without spending it (the page that asks the password)."""
    return tokens.check(token, RESET_PASSWORD, moment)[0]


def reset_password(
    token: str, password: str, moment: datetime
) -> tuple[tokens.Outcome, User | None]:
    """Spend the token and set ``password``; the caller commits (or rolls back if not VALID)."""
    outcome, user = tokens.check(token, RESET_PASSWORD, moment, use=True)
    if outcome is tokens.Outcome.VALID and user is not None:
        set_password(user, password, moment, "contraseña restablecida")
        # The link reached the address: it is the user's.
        if user.email_verified_at is None:
            user.email_verified_at = moment
        tokens.retire(user, RESET_PASSWORD, moment)
    return outcome, user


def set_password(user: User, password: str, moment: datetime, label: str) -> None:
    """A new password ends every open session of the user (the caller logs them in again
    if they stay)."""
    user.password_hash = hash_password(password)
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=moment)
    )
    _log(user, moment, label, user)


def _log(user: User, moment: datetime, label: str, actor: User | None) -> None:
    db.session.add(
        Event(
            at=moment,
            actor_id=actor.id if actor is not None else None,
            kind="cuenta",
            label=label,
            data={"usuario": user.username},
        )
    )

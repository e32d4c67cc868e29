"""Server-side sessions: the signed cookie names a row, and the row decides.

The cookie holds a random token; the ``user_sessions`` row holds its SHA-256, the absolute
expiry and whether it was revoked. Logging out revokes the row, so a copy of the cookie is
refused afterwards; activity moves the idle window (kept in the signed cookie) but never the
absolute expiry. A new row, and so a new cookie, is issued at every login and whenever what
the user may do changes (their groups, or a verified e-mail address).
"""

import hashlib
import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm import contains_eager

from engine.models import User, UserSession
from web.extensions import db


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def privileges_of(user: User) -> str:
    """A fingerprint of what the user may do; a session is rotated when it changes."""
    verified = "verificado" if user.email_verified_at is not None else "sin-verificar"
    facts = [user.kind, verified, *sorted(user.group_codes)]
    return hashlib.sha256("\n".join(facts).encode()).hexdigest()


def issue(user: User, moment: datetime) -> str:
    """A new session for ``user`` (flushed with the caller's transaction); returns its token."""
    token = secrets.token_urlsafe(32)
    lifetime = current_app.config["SESSION_ABSOLUTE_LIFETIME"]
    # The user's ended sessions are of no further use: drop them while we are here.
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at < moment)
    )
    db.session.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user.id,
            privileges=privileges_of(user),
            created_at=moment,
            expires_at=moment + lifetime,
        )
    )
    return token


def revoke(token: str, moment: datetime) -> None:
    db.session.execute(
        update(UserSession)
        .where(UserSession.token_hash == token_hash(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=moment)
    )


def find(token: str, moment: datetime) -> UserSession | None:
    """The live session the token names, with its user and groups, in one query."""
    row = (
        db.session.execute(
            select(UserSession)
            .join(UserSession.user)
            .options(contains_eager(UserSession.user).joinedload(User.groups))
            .where(
                UserSession.token_hash == token_hash(token),
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > moment,
                User.active.is_(True),
            )
        )
        .unique()
        .scalar_one_or_none()
    )
    return row

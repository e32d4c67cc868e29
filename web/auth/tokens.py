"""Single-use, expiring tokens sent by e-mail (address verification, password reset).

Only the token's SHA-256 is stored (``account_tokens``); the token itself travels in the
e-mail's outbox row. Issuing a new token of a purpose retires the user's earlier unused ones.
"""

import enum
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from engine.models import AccountToken, User
from web.extensions import db

# A token longer than this cannot be one of ours (they are 43 characters).
MAX_LENGTH = 200


class Outcome(enum.Enum):
    VALID = "valid"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def retire(user: User, purpose: str, moment: datetime) -> None:
    """The user's unused tokens of ``purpose`` stop working."""
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=moment)
    )


def issue(user: User, purpose: str, moment: datetime, lifetime: timedelta) -> tuple[str, int]:
    """A fresh token for ``user`` (flushed with the caller's transaction): the token and its
    row id (the id keys the e-mail that carries it)."""
    retire(user, purpose, moment)
    token = secrets.token_urlsafe(32)
    row = AccountToken(
        token_hash=token_hash(token),
        user_id=user.id,
        purpose=purpose,
        created_at=moment,
        expires_at=moment + lifetime,
    )
    db.session.add(row)
    db.session.flush()
    return token, row.id


def check(
    token: str, purpose: str, moment: datetime, *, use: bool = False
) -> tuple[Outcome, User | None]:
    """Whether ``token`` is live; with ``use`` it is spent (the caller commits)."""
    if len(token) > MAX_LENGTH:
        return Outcome.UNKNOWN, None
    query = select(AccountToken).where(
        AccountToken.token_hash == token_hash(token), AccountToken.purpose == purpose
    )
    row = db.session.scalars(query.with_for_update() if use else query).first()
    if row is None:
        return Outcome.UNKNOWN, None
    user = db.session.get(User, row.user_id)
    if row.used_at is not None:
        return Outcome.USED, user
    if moment >= row.expires_at:
        return Outcome.EXPIRED, user
    if use:
        row.used_at = moment
    return Outcome.VALID, user

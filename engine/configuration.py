"""Settings an administrator changes at run time, kept in the ``settings`` table.

Today: the share of answers drawn for quality review. The seed (§4) sets its floor: quality
reviews at least 50 % of the answers; an administrator may raise it, never lower it.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from engine.errors import EngineError
from engine.models import Setting, User

REVIEW_SHARE = "porcentaje_revision"
REVIEW_SHARE_FLOOR = 50  # the seed's minimum; the configured value lives in the database


def review_share(session: Session) -> int:
    """The configured share (%) of answers drawn for quality review."""
    row = session.get(Setting, REVIEW_SHARE)
    if row is None:
        return REVIEW_SHARE_FLOOR
    return max(REVIEW_SHARE_FLOOR, int(row.value))


def set_review_share(session: Session, value: int, user: User | None, now: datetime) -> Setting:
    """Change the share; refused below the seed's floor or above 100 (the caller commits)."""
    if not REVIEW_SHARE_FLOOR <= value <= 100:
        raise EngineError(
            f"El porcentaje de revisión de calidad debe estar entre {REVIEW_SHARE_FLOOR} y 100."
        )
    row = session.get(Setting, REVIEW_SHARE)
    if row is None:
        row = Setting(key=REVIEW_SHARE, value=str(value), updated_at=now)
        session.add(row)
    row.value = str(value)
    row.updated_by_id = user.id if user is not None else None
    row.updated_at = now
    session.flush()
    return row

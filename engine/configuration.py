"""Settings an administrator changes at run time, kept in the ``settings`` table.

Each is a whole number within its bounds; an absent row means the default. The seed (§4) sets
the quality review share's floor: quality reviews at least 50 % of the answers; an
administrator may raise it, never lower it. The reminder leads say how long before a
deadline its reminder fires. (The first-response term itself is in the diagram.)
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from engine.errors import EngineError
from engine.models import Event, Setting, User

REVIEW_SHARE = "porcentaje_revision"
REVIEW_SHARE_FLOOR = 50  # the seed's minimum; the configured value lives in the database
FIRST_RESPONSE_REMINDER_HOURS = "recordatorio_primera_respuesta_horas"
LEGAL_REMINDER_DAYS = "recordatorio_legal_dias"
AREA_REMINDER_DAYS = "recordatorio_area_dias"
CHANGED = "setting_changed"  # the event kind of a change


@dataclass(frozen=True)
class Spec:
    key: str
    label: str
    unit: str
    minimum: int
    maximum: int
    default: int


SPECS = {
    spec.key: spec
    for spec in (
        Spec(
            REVIEW_SHARE,
            "Porcentaje de respuestas revisadas por calidad",
            "%",
            REVIEW_SHARE_FLOOR,
            100,
            REVIEW_SHARE_FLOOR,
        ),
        Spec(
            FIRST_RESPONSE_REMINDER_HOURS,
            "Recordatorio antes de vencer la primera respuesta",
            "horas",
            1,
            23,
            4,
        ),
        Spec(
            LEGAL_REMINDER_DAYS,
            "Recordatorio antes de vencer el término legal",
            "días hábiles",
            1,
            10,
            1,
        ),
        Spec(
            AREA_REMINDER_DAYS,
            "Recordatorio antes de vencer el término del área",
            "días hábiles",
            1,
            5,
            1,
        ),
    )
}


def value(session: Session | None, key: str) -> int:
    """The setting's value (its default when never set, or with no session at hand)."""
    spec = SPECS[key]
    if session is None:
        return spec.default
    with session.no_autoflush:  # read mid-change (a case's facts) without flushing it
        row = session.get(Setting, key)
    if row is None:
        return spec.default
    return min(spec.maximum, max(spec.minimum, int(row.value)))


def _store(session: Session, key: str, new: int, user: User | None, now: datetime) -> Setting:
    spec = SPECS[key]
    if not spec.minimum <= new <= spec.maximum:
        raise EngineError(
            f"{spec.label}: debe estar entre {spec.minimum} y {spec.maximum} {spec.unit}."
        )
    row = session.get(Setting, key)
    if row is None:
        row = Setting(key=key, value=str(new), updated_at=now)
        session.add(row)
    row.value = str(new)
    row.updated_by_id = user.id if user is not None else None
    row.updated_at = now
    session.flush()
    return row


def change(session: Session, key: str, new: int, user: User, now: datetime) -> bool:
    """An administrator's change, written to the event log with before and after; False when
    the value is already ``new``, its default included (nothing written, nothing logged: a
    form saved with one field changed records that one). The caller commits."""
    old = value(session, key)
    if old == new:
        return False
    _store(session, key, new, user, now)
    session.add(
        Event(
            at=now,
            actor_id=user.id,
            kind=CHANGED,
            label=SPECS[key].label,
            data={"clave": key, "antes": old, "despues": new},
        )
    )
    session.flush()
    return True


def review_share(session: Session) -> int:
    """The configured share (%) of answers drawn for quality review."""
    return value(session, REVIEW_SHARE)


def set_review_share(session: Session, value: int, user: User | None, now: datetime) -> Setting:
    """Change the share; refused below the seed's floor or above 100 (the caller commits)."""
    if not REVIEW_SHARE_FLOOR <= value <= 100:
        raise EngineError(
            f"El porcentaje de revisión de calidad debe estar entre {REVIEW_SHARE_FLOOR} y 100."
        )
    return _store(session, REVIEW_SHARE, value, user, now)

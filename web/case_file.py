"""What staff see of a case: its text, attachments and history from the event log."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine.models import Attachment, Case, Event, User
from web.extensions import db

# Event kinds worth showing to staff in the history (readiness and bookkeeping are left out).
HISTORY_KINDS = (
    "portal",
    "started",
    "task_completed",
    "service_completed",
    "hito",
    "claimed",
    "released",
    "reassigned",
    "prorroga",
    "incident",
)


@dataclass
class HistoryEntry:
    event: Event
    actor: str | None


@dataclass
class CaseFile:
    case: Case
    citizen: User | None
    attachments: list[Attachment]
    history: list[HistoryEntry]
    drafts: list[HistoryEntry]
    observations: list[HistoryEntry]
    replies: list[HistoryEntry]  # the citizen's answers to an information request


def load_case_file(case: Case) -> CaseFile:
    attachments = list(
        db.session.scalars(
            select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
        )
    )
    rows = db.session.execute(
        select(Event, User.full_name)
        .outerjoin(User, User.id == Event.actor_id)
        .where(Event.case_id == case.id, Event.kind.in_(HISTORY_KINDS))
        .order_by(Event.at, Event.id)
    ).all()
    history = [HistoryEntry(event, actor) for event, actor in rows]
    completed = [h for h in history if h.event.kind == "task_completed" and h.event.data]
    drafts = [h for h in completed if _has(h.event.data, "respuesta")]
    observations = [h for h in completed if _has(h.event.data, "observaciones_calidad")]
    replies = [h for h in completed if _has(h.event.data, "informacion")]
    return CaseFile(
        case=case,
        citizen=db.session.get(User, case.citizen_id),
        attachments=attachments,
        history=history,
        drafts=drafts,
        observations=observations,
        replies=replies,
    )


def _has(data: dict[str, Any] | None, key: str) -> bool:
    return bool(data and data.get(key))

"""One transaction per request, then the outbox rows it wrote are handed to the workers."""

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.models import OutboxMessage
from web.extensions import db

Dispatch = Callable[[list[int]], None]

_NEW_OUTBOX = "web.new_outbox_ids"


@event.listens_for(FlaskSession, "after_flush")
def _remember_new_outbox_rows(session: Session, _context: Any) -> None:
    ids = session.info.setdefault(_NEW_OUTBOX, [])
    ids.extend(obj.id for obj in session.new if isinstance(obj, OutboxMessage))


@event.listens_for(FlaskSession, "after_rollback")
def _forget_outbox_rows(session: Session) -> None:
    session.info.pop(_NEW_OUTBOX, None)


def commit() -> None:
    """Commit the request's state change, then hand the outbox rows it wrote to the workers.

    The rows are durable before anything is enqueued, so a crash between the two only
    delays the work: the workers' sweeper picks pending rows up again.
    """
    db.session.flush()
    ids = db.session.info.pop(_NEW_OUTBOX, [])
    db.session.commit()
    dispatch: Dispatch | None = current_app.extensions.get("outbox_dispatch")
    if dispatch is not None and ids:
        dispatch(ids)

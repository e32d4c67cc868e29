"""One run of an outbox job, as the operators see it."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.models import OutboxMessage
from workers.context import WorkerContext


@dataclass
class Job:
    outbox_id: int
    key: str
    operation: str
    params: dict[str, Any]
    instance_id: int | None
    task_id: str | None
    attempt: int
    ctx: WorkerContext
    session: Session

    @classmethod
    def from_message(
        cls, message: OutboxMessage, ctx: WorkerContext, session: Session, attempt: int
    ) -> "Job":
        return cls(
            outbox_id=message.id,
            key=message.key,
            operation=message.operation,
            params=dict(message.params or {}),
            instance_id=message.instance_id,
            task_id=message.task_id,
            attempt=attempt,
            ctx=ctx,
            session=session,
        )

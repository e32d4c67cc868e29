"""Running processes: instance state, the inbox, the event log, the outbox and incidents."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base, BigId

if TYPE_CHECKING:
    from engine.models.cases import Case


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    process_id: Mapped[str] = mapped_column(String(100))
    # The radicado of a case, or "<process>@<period start>" of a periodic process: one each.
    business_key: Mapped[str] = mapped_column(String(100), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    status: Mapped[str] = mapped_column(
        String(20), index=True
    )  # running|suspended|completed|cancelled
    has_incident: Mapped[bool] = mapped_column(default=False)
    state: Mapped[bytes] = mapped_column(LargeBinary)  # engine.serialization: spec by reference
    version: Mapped[int] = mapped_column()
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    # Whoever loads an instance works on its case too: one query for both.
    case: Mapped["Case | None"] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}
    # The console's search orders and filters on these (engine.instance_search).
    __table_args__ = (
        Index("ix_process_instances_started", "started_at", "id"),
        Index("ix_process_instances_status_started", "status", "started_at", "id"),
        Index("ix_process_instances_updated", "updated_at", "id"),
        Index("ix_process_instances_incident", "has_incident", "started_at", "id"),
    )


class HumanTask(Base):
    """The inbox: one row per ready user task, rewritten with its instance."""

    __tablename__ = "human_tasks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the engine's task id
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(100))
    form: Mapped[str] = mapped_column(String(200))
    candidate_group: Mapped[str] = mapped_column(String(60))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(20))  # open | completed | cancelled
    request_type: Mapped[str | None] = mapped_column(String(30))
    business_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    instance: Mapped[ProcessInstance] = relationship(lazy="raise")  # loaded when asked for

    __table_args__ = (
        Index("ix_human_tasks_group_inbox", "candidate_group", "state", "due_at", "created_at"),
        Index("ix_human_tasks_assignee_inbox", "assignee_id", "state", "due_at", "created_at"),
        Index("ix_human_tasks_open_step", "state", "bpmn_id", "instance_id"),
        Index("ix_human_tasks_open_group", "state", "candidate_group", "instance_id"),
        # The dashboard's open work per group and step (without reading the closed tasks).
        Index("ix_human_tasks_open_work", "state", "candidate_group", "name"),
    )


class Event(Base):
    """Append-only log: who did what, when, with the data they submitted."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    bpmn_id: Mapped[str | None] = mapped_column(String(100))
    label: Mapped[str | None] = mapped_column(String(300))
    data: Mapped[dict[str, Any] | None]

    __table_args__ = (
        # The last timer fired (dashboard) and the heatmap's period: by kind and time.
        Index("ix_events_kind_at", "kind", "at", "instance_id"),
        # A case's milestones (escalation, the area's answer) without reading its log.
        Index("ix_events_milestones", "kind", "label", "case_id", "at"),
    )


class OutboxMessage(Base):
    """Work that must leave the process, written with the state change that caused it."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # idempotency key
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    operation: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending|done|failed|skipped
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Incident(Base):
    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    bpmn_id: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(20))  # retried | skipped


class MailDelivery(Base):
    """One e-mail per outbox key: recorded as sending, then sent (see workers.mail.delivery)."""

    __tablename__ = "mail_deliveries"
    outbox_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200))
    recipients: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))  # sending | sent | failed
    attempts: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

"""A bulk action of the console: what, on which instances, by whom, and how far it got."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base


class BulkJob(Base):
    __tablename__ = "bulk_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(30))  # retry | cancel | reassign | (migrate)
    reason: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]]  # e.g. {"asignado": user id}
    instance_ids: Mapped[list[Any]]
    total: Mapped[int]
    processed: Mapped[int] = mapped_column(default=0)
    failures: Mapped[list[Any]]  # [{"instancia": id, "clave": key, "error": text}]
    status: Mapped[str] = mapped_column(String(20))  # queued | running | done
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]  # the last progress: the sweep sends a silent job again

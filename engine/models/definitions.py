"""Deployed definitions: one row per distinct bundle of BPMN + DMN + forms."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base


class Deployment(Base):
    __tablename__ = "deployments"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    files: Mapped[dict[str, Any]]  # relative path -> text
    deployed_at: Mapped[datetime]
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str | None] = mapped_column(String(500))
    deployed_by: Mapped["User | None"] = relationship()  # noqa: F821 (engine.models.people)


class Draft(Base):
    """A process owner's unpublished edit of one file of the bundle (never live until deployed).

    ``revision`` grows with each save: a save based on an older revision is a conflict, so two
    owners editing the same file never overwrite each other silently."""

    __tablename__ = "drafts"
    path: Mapped[str] = mapped_column(String(200), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    revision: Mapped[int]
    base_version: Mapped[int]  # the deployed version the draft started from
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped["User"] = relationship()  # noqa: F821 (engine.models.people)

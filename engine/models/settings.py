"""Settings an administrator changes at run time, and the quality-review draw's counters."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base


class Setting(Base):
    """One named setting, with who changed it last and when (an audit trail is in ``events``)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime]


class ReviewPeriod(Base):
    """Answers drawn and answers sent to quality review, per month of filing (Bogotá).

    The monthly report counts cases by the month they were filed; the draw keeps these two
    counters so that the reviewed share of every such month never drops below the floor.
    """

    __tablename__ = "review_periods"
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    drawn: Mapped[int] = mapped_column(default=0)
    reviewed: Mapped[int] = mapped_column(default=0)

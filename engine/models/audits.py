"""The weekly quality audit (5.2.18–5.2.22): its sample and its report, one row per instance.

The sample is kept as rows (``audit_cases``) so that the access policy can ask, with an
index, whether a case was drawn for an audit; the report's figures are the worker's report
model (plain data), and its PDF the file every later step and the e-mail carry.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base


class AuditReport(Base):
    __tablename__ = "audit_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), unique=True)
    period_start: Mapped[datetime] = mapped_column(index=True)  # the week audited ends here
    since: Mapped[datetime]
    until: Mapped[datetime]
    population: Mapped[int]
    sample_size: Mapped[int]
    sampling: Mapped[dict[str, Any]]  # confidence, margin, strata
    data: Mapped[dict[str, Any] | None]  # the report model (workers/operators/audit_report.py)
    rating: Mapped[float | None]
    narrative: Mapped[str | None] = mapped_column(Text)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AuditCase(Base):
    __tablename__ = "audit_cases"
    audit_id: Mapped[int] = mapped_column(ForeignKey("audit_reports.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True, index=True)

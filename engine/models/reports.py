"""Report files kept with their period: each build of a report is one version of its files."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base


class ReportFile(Base):
    """One generated document (XLSX or PDF) of a periodic report.

    ``job_key`` is the outbox key of the job that built it: a repeated delivery of the same job
    finds its files instead of adding a second copy.
    """

    __tablename__ = "report_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    report: Mapped[str] = mapped_column(String(40))  # informe_mensual | …
    period: Mapped[str] = mapped_column(String(20))  # YYYY-MM for the monthly report
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    version: Mapped[int]
    job_key: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(10))  # xlsx | pdf
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


Index("ix_report_files_report_period", ReportFile.report, ReportFile.period)
Index("uq_report_files_job_format", ReportFile.job_key, ReportFile.format, unique=True)


class SatisfactionAnswer(Base):
    """The citizen's answer to the satisfaction survey after a final answer: once per case."""

    __tablename__ = "satisfaction_answers"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    score: Mapped[int]  # 1 (muy insatisfecho) … 5 (muy satisfecho)
    answer_clear: Mapped[bool | None]  # ¿la respuesta fue clara?
    comment: Mapped[str | None] = mapped_column(Text, info={"max_length": 1000})
    answered_at: Mapped[datetime] = mapped_column(index=True)

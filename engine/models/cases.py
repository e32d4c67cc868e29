"""The case record (expediente) of one PQRS, its radicado counter and its attachments."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base


class RadicadoCounter(Base):
    __tablename__ = "radicado_counters"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int]


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    radicado: Mapped[str] = mapped_column(String(30), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    request_type: Mapped[str] = mapped_column(String(30))  # solicitud|queja|reclamo|felicitacion
    modality: Mapped[str | None] = mapped_column(String(30))
    service: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    filed_at: Mapped[datetime] = mapped_column(index=True)
    legal_days: Mapped[int]
    first_response_due: Mapped[datetime]
    # When the reminder before it fires (its lead is a setting, fixed when the term is set).
    first_response_reminder_at: Mapped[datetime | None]
    legal_due: Mapped[datetime]
    legal_reminder_at: Mapped[datetime]
    extension_days: Mapped[int | None]
    # Text on disk (a length change would rebuild the table on SQLite); the limit forms apply:
    extension_reasons: Mapped[str | None] = mapped_column(Text, info={"max_length": 2000})
    extended_at: Mapped[datetime | None]
    area: Mapped[str | None] = mapped_column(String(60))
    area_due: Mapped[datetime | None]
    area_reminder_at: Mapped[datetime | None]
    escalated: Mapped[bool] = mapped_column(default=False)
    reviewed: Mapped[bool] = mapped_column(default=False)
    classification: Mapped[str | None] = mapped_column(String(60))
    first_response_at: Mapped[datetime | None]
    # How the first response was given: respuesta | fecha (date of answer) | escalamiento.
    first_response_kind: Mapped[str | None] = mapped_column(String(20))
    # An interim answer: the date promised to the citizen (end of that day) and its text.
    answer_promised_by: Mapped[datetime | None]
    interim_answer: Mapped[str | None] = mapped_column(Text)
    # An information request to the citizen (Ley 1755 art. 17): while it is open the legal
    # term is suspended; ``legal_days_left`` business days run again from the reply.
    info_request: Mapped[str | None] = mapped_column(Text)
    info_requested_at: Mapped[datetime | None]
    info_due: Mapped[datetime | None]
    legal_days_left: Mapped[int | None]
    suspended_days: Mapped[int] = mapped_column(default=0)
    withdrawn_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None] = mapped_column(index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    # The quality-review draw's verdict (None until drawn): a rejected answer that comes back
    # to 5.2.14 keeps it, and it is counted once in its month (engine/review_draw.py).
    review_drawn: Mapped[bool | None]
    # SHA-256 of the code the acknowledgement e-mail gives the citizen to look the case up
    # without logging in (engine/lookup_codes.py); cases filed before it have none.
    lookup_code_hash: Mapped[str | None] = mapped_column(String(64))
    # How the request arrived: portal | correo | telefono | presencial | chat.
    channel: Mapped[str] = mapped_column(String(20), default="portal", server_default="portal")


class FilingToken(Base):
    """The one-time token of a filing form, written in the transaction that files the case:
    a second submission of the same form finds the case instead of filing it again."""

    __tablename__ = "filing_tokens"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    used_at: Mapped[datetime]


class CaseAlert(Base):
    """A missed deadline: the flag on the case and the row of the "reporte de fallas"."""

    __tablename__ = "case_alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    term: Mapped[str] = mapped_column(String(30))  # primera_respuesta | legal | area
    area: Mapped[str | None] = mapped_column(String(60))
    raised_at: Mapped[datetime]


# Who may see a file: the citizen sees what they filed and what is sent with the final answer.
CITIZEN_FILED = "ciudadano"
INTERNAL = "interna"
ANSWER = "respuesta"
VISIBILITIES = (CITIZEN_FILED, INTERNAL, ANSWER)
CITIZEN_VISIBLE = frozenset({CITIZEN_FILED, ANSWER})


class Attachment(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime]
    visibility: Mapped[str] = mapped_column(String(20), default=INTERNAL)
    step: Mapped[str | None] = mapped_column(String(200))  # the task it was attached at

    @property
    def citizen_visible(self) -> bool:
        return self.visibility in CITIZEN_VISIBLE


class Closure(Base):
    """A day the entity is closed (entered by an administrator): not a business day."""

    __tablename__ = "closures"
    day: Mapped[date] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))


Index("ix_cases_citizen_filed", Case.citizen_id, Case.filed_at)
# The dashboard's compliance by week and its cases at risk read each term by its end (with
# when it was met: the compliance reads the index alone).
Index("ix_cases_first_response_due", Case.first_response_due, Case.first_response_at)
Index("ix_cases_legal_due", Case.legal_due, Case.answered_at, Case.withdrawn_at)
Index("ix_cases_area_due", Case.area_due)
# The console's overdue filters: the cases whose term is not met, by its end, read
# from the index alone (migration 0013).
Index("ix_cases_unmet_first_response", Case.first_response_at, Case.first_response_due, Case.id)
Index("ix_cases_unanswered_legal_due", Case.answered_at, Case.legal_due, Case.id)
Index("ix_cases_status_area_due", Case.status, Case.area_due, Case.id)

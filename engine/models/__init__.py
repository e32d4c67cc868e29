"""All tables, importable from one place so Alembic and Flask-SQLAlchemy see the full metadata."""

from engine.models.audits import AuditCase, AuditReport
from engine.models.base import Base
from engine.models.bulk import BulkJob
from engine.models.cases import (
    Attachment,
    Case,
    CaseAlert,
    Closure,
    FilingToken,
    RadicadoCounter,
)
from engine.models.definitions import Deployment, Draft
from engine.models.instances import (
    Event,
    HumanTask,
    Incident,
    MailDelivery,
    OutboxMessage,
    ProcessInstance,
)
from engine.models.people import AccountToken, Group, User, UserSession, membership
from engine.models.reports import ReportFile, SatisfactionAnswer
from engine.models.saved_filters import SavedFilter
from engine.models.settings import ReviewPeriod, Setting

__all__ = [
    "AccountToken",
    "Attachment",
    "AuditCase",
    "AuditReport",
    "Base",
    "BulkJob",
    "Case",
    "CaseAlert",
    "Closure",
    "Deployment",
    "Draft",
    "Event",
    "FilingToken",
    "Group",
    "HumanTask",
    "Incident",
    "MailDelivery",
    "OutboxMessage",
    "ProcessInstance",
    "RadicadoCounter",
    "ReportFile",
    "ReviewPeriod",
    "SatisfactionAnswer",
    "SavedFilter",
    "Setting",
    "User",
    "UserSession",
    "membership",
]

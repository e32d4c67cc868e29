"""Service-task operators: the BPMN ``serviceTaskOperator`` ids, one module each.

An operator runs in two steps so a job never holds a database transaction during slow I/O:
``prepare(job)`` reads what it needs through ``job.session`` (the transaction is ended right
after), ``perform(job, prepared)`` talks to the outside world and returns the result the
engine stores in the task's ``resultVariable``. Failures are ``TransientFailure`` (retried
with backoff) or ``PermanentFailure`` (an incident at once).
"""

from workers.jobs import Job
from workers.operators import (
    account_mail,
    audit_pdf,
    audit_report,
    audit_sample,
    failure_mail,
    legacy_lookup,
    monthly_report,
    notify,
    report_mail,
)

OPERATORS = {
    "legacy_lookup": legacy_lookup,
    "notify": notify,
    "audit_sample": audit_sample,
    "audit_report": audit_report,
    "audit_pdf": audit_pdf,
    "monthly_report": monthly_report,
    "account_mail": account_mail,
    "report_mail": report_mail,
    "failure_report": failure_mail,
}

__all__ = ["OPERATORS", "Job"]

"""Deadlines of a case: legal term, first response, reminders and the prórroga.

Every function is pure and returns timezone-aware datetimes in Bogotá; callers convert to UTC
when they store or schedule them.
"""

from calendar import monthrange
from datetime import date, datetime, time, timedelta

from engine.business_calendar import WORKDAY_START, BusinessCalendar
from engine.clock import BOGOTA

FIRST_RESPONSE_REMINDER_LEAD = timedelta(hours=4)
# The citizen reads the reasons in the prórroga e-mail: a sentence, not "ok".
MIN_EXTENSION_REASONS = 20


class DeadlineError(ValueError):
    """A deadline change the rules do not allow; the message is for the user."""


def legal_deadline(filed_at: datetime, business_days: int, calendar: BusinessCalendar) -> datetime:
    return calendar.add_business_days(filed_at, business_days)


def first_response_reminder(
    deadline: datetime, lead: timedelta = FIRST_RESPONSE_REMINDER_LEAD
) -> datetime:
    """``lead`` (four clock hours unless configured) before the first-response deadline."""
    return (deadline - lead).astimezone(BOGOTA)


def business_reminder(
    deadline: datetime, calendar: BusinessCalendar, days_before: int = 1
) -> datetime:
    """08:00 Bogotá of the business day ``days_before`` business days before the deadline's
    day (legal and area terms; one unless configured).

    For a one-day term filed late in the day this can precede the filing; the timer then fires
    at once, which is what a user expects of a deadline that close.
    """
    day = deadline.astimezone(BOGOTA).date()
    for _ in range(max(1, days_before)):
        day = calendar.previous_business_day(day)
    return datetime.combine(day, WORKDAY_START, tzinfo=BOGOTA)


def extend_legal_deadline(
    filed_at: datetime,
    original_days: int,
    extra_days: int,
    already_extended: bool,
    reasons: str,
    now: datetime,
    current_deadline: datetime,
    calendar: BusinessCalendar,
) -> datetime:
    """The new legal deadline after a prórroga (Ley 1755 de 2015 art. 14, parágrafo).

    Allowed once, with reasons, before the term expires, and to at most double the original term.
    """
    if already_extended:
        raise DeadlineError("La prórroga ya se concedió una vez.")
    if not reasons.strip():
        raise DeadlineError("Indique los motivos de la prórroga.")
    if len(reasons.strip()) < MIN_EXTENSION_REASONS:
        raise DeadlineError(
            "Explique los motivos de la prórroga al ciudadano "
            f"(al menos {MIN_EXTENSION_REASONS} caracteres)."
        )
    if extra_days < 1:
        raise DeadlineError("La prórroga debe ser de al menos un día hábil.")
    if extra_days > original_days:
        raise DeadlineError(
            f"La prórroga no puede superar el término inicial ({original_days} días hábiles)."
        )
    if now > current_deadline:
        raise DeadlineError("El término ya venció; no se puede prorrogar.")
    return legal_deadline(filed_at, original_days + extra_days, calendar)


def information_deadline(requested_at: datetime, calendar: BusinessCalendar) -> datetime:
    """End of the day one calendar month after an information request (Ley 1755 art. 17).

    The same day of the next month (the month's last day if it has no such day); a term that
    ends on a day the entity is closed runs to the next business day.
    """
    local = requested_at.astimezone(BOGOTA).date()
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    day = min(local.day, monthrange(year, month)[1])
    end = date(year, month, day)
    if not calendar.is_business_day(end):
        end = calendar.next_business_day(end)
    return datetime.combine(end, time.max, tzinfo=BOGOTA)


def business_days_left(moment: datetime, deadline: datetime, calendar: BusinessCalendar) -> int:
    """Business days of a term still to run after ``moment``'s day (at least one)."""
    start = moment.astimezone(BOGOTA).date()
    return max(1, calendar.business_days_between(start, deadline.astimezone(BOGOTA).date()))


def business_days_waited(since: datetime, until: datetime, calendar: BusinessCalendar) -> int:
    """Business days after ``since``'s day up to and including ``until``'s day."""
    start, end = (m.astimezone(BOGOTA).date() for m in (since, until))
    return max(0, calendar.business_days_between(start, end))


def promised_answer_date(
    chosen: date, now: datetime, legal_due: datetime
) -> tuple[datetime | None, str | None]:
    """An interim answer's date as the end of that day, or a Spanish reason it is refused.

    Never before today and never beyond the legal term (Condiciones generales of M5-1-01:
    the date "no debe exceder los tiempos establecidos" by law)."""
    today = now.astimezone(BOGOTA).date()
    last = legal_due.astimezone(BOGOTA).date()
    if chosen < today:
        return None, "La fecha de respuesta no puede ser anterior a hoy."
    if chosen > last:
        return None, (
            "La fecha de respuesta no puede superar el término legal "
            f"({last.strftime('%d/%m/%Y')})."
        )
    return datetime.combine(chosen, time.max, tzinfo=BOGOTA), None

"""How dates read on the pages: Colombian time, Spanish words."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import format_date, format_datetime, gettext

from engine import audits

BOGOTA = ZoneInfo("America/Bogota")
MONTHLY_REPORT = "informe_mensual"


def format_moment(value: datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(value, "d 'de' MMMM 'de' y, h:mm a")


def format_day(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        # A calendar day ("2026-03-04") is that day, not midnight UTC moved to Bogotá.
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    return format_date(value, "d 'de' MMMM 'de' y")


def business_key_label(key: str) -> str:
    """A periodic process's business key (``<process>@<moment>``) as people read it: the
    audit's week, the month the monthly report is about (the month before it starts); a
    radicado stays as it is."""
    process, _, period = key.partition("@")
    if process != MONTHLY_REPORT or not period:
        return audits.business_key_label(key)
    try:
        started = datetime.fromisoformat(period).astimezone(BOGOTA)
    except ValueError:
        return key
    reported = started.replace(day=1) - timedelta(days=1)
    return gettext("Informe mensual de %(month)s", month=format_date(reported, "MMMM 'de' y"))

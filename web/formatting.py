"""How dates read on the pages: Colombian time, Spanish words."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import format_date, format_datetime

BOGOTA = ZoneInfo("America/Bogota")


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

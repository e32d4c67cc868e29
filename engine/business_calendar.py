"""Colombian business days: weekends, national holidays and administrator-entered closures.

Terms follow Ley 1755 de 2015 art. 14: counting starts on the first business day after the
filing day (in Bogotá) and a term ends at the end of its last business day.
"""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import cache

import holidays

from engine.clock import BOGOTA

WORKDAY_START = time(8, 0)
WORKDAY_END = time(17, 0)
_ONE_DAY = timedelta(days=1)


@cache
def _colombian_holidays(year: int) -> frozenset[date]:
    # Built once per year and shared: holidays' tables are slow to compute.
    return frozenset(holidays.country_holidays("CO", years=year))


class BusinessCalendar:
    def __init__(self, closures: Iterable[date] = ()) -> None:
        self._closures = frozenset(closures)

    def is_business_day(self, day: date) -> bool:
        return (
            day.weekday() < 5
            and day not in _colombian_holidays(day.year)
            and day not in self._closures
        )

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after ``day``."""
        day += _ONE_DAY
        while not self.is_business_day(day):
            day += _ONE_DAY
        return day

    def previous_business_day(self, day: date) -> date:
        """The last business day strictly before ``day``."""
        day -= _ONE_DAY
        while not self.is_business_day(day):
            day -= _ONE_DAY
        return day

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """End (23:59:59.999999 Bogotá) of the ``days``-th business day after ``start``'s day."""
        if days < 1:
            raise ValueError("days must be at least 1")
        day = _in_bogota(start).date()
        for _ in range(days):
            day = self.next_business_day(day)
        return datetime.combine(day, time.max, tzinfo=BOGOTA)

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """``start`` plus ``hours`` counted only within 08:00–17:00 Bogotá on business days."""
        if hours < 0:
            raise ValueError("hours must not be negative")
        remaining = timedelta(hours=hours)
        cursor = self._working_moment(_in_bogota(start))
        while True:
            day_end = datetime.combine(cursor.date(), WORKDAY_END, tzinfo=BOGOTA)
            if remaining <= day_end - cursor:
                return cursor + remaining
            remaining -= day_end - cursor
            cursor = self._opening_of(self.next_business_day(cursor.date()))

    def business_days_between(self, start: date, end: date) -> int:
        """Business days after ``start`` up to and including ``end`` (negative if reversed)."""
        if end < start:
            return -self.business_days_between(end, start)
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            count += self.is_business_day(day)
            day += _ONE_DAY
        return count

    def _working_moment(self, moment: datetime) -> datetime:
        """``moment`` if within working hours, else the next opening time."""
        if self.is_business_day(moment.date()):
            if moment.time() < WORKDAY_START:
                return self._opening_of(moment.date())
            if moment.time() < WORKDAY_END:
                return moment
        return self._opening_of(self.next_business_day(moment.date()))

    @staticmethod
    def _opening_of(day: date) -> datetime:
        return datetime.combine(day, WORKDAY_START, tzinfo=BOGOTA)


def _in_bogota(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return moment.astimezone(BOGOTA)

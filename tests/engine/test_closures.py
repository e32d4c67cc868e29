"""How a closure moves one term's end (engine/closures.py), on the Colombian calendar of
March–April 2026: 23 March, 2 and 3 April are holidays."""

from datetime import date, datetime, time

from engine.business_calendar import BusinessCalendar
from engine.clock import BOGOTA
from engine.closures import moved_end

OPEN = BusinessCalendar()
CLOSED_16 = BusinessCalendar([date(2026, 3, 16)])
FILED = datetime(2026, 3, 10, 8, tzinfo=BOGOTA)


def end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=BOGOTA)


def test_a_closure_inside_the_term_ends_it_one_business_day_later_and_back() -> None:
    due = OPEN.add_business_days(FILED, 15)
    assert due == end_of(date(2026, 4, 1))
    moved = moved_end(due, FILED, date(2026, 3, 16), OPEN, CLOSED_16)
    assert moved == end_of(date(2026, 4, 6)) == CLOSED_16.add_business_days(FILED, 15)
    assert moved_end(moved, FILED, date(2026, 3, 16), CLOSED_16, OPEN) == due


def test_a_closure_on_the_last_day_moves_the_end_to_the_next_business_day() -> None:
    due = end_of(date(2026, 3, 17))
    closed = BusinessCalendar([date(2026, 3, 17)])
    assert moved_end(due, FILED, date(2026, 3, 17), OPEN, closed) == end_of(date(2026, 3, 18))


def test_a_closure_outside_the_term_moves_nothing() -> None:
    due = end_of(date(2026, 3, 13))
    assert moved_end(due, FILED, date(2026, 3, 16), OPEN, CLOSED_16) == due  # after its end
    filing_day = BusinessCalendar([date(2026, 3, 10)])
    # The filing day itself is never counted.
    assert moved_end(due, FILED, date(2026, 3, 10), OPEN, filing_day) == due

from datetime import UTC, date, datetime, time

import pytest

from engine.business_calendar import BusinessCalendar
from engine.clock import BOGOTA

END_OF_DAY = time(23, 59, 59, 999999)


def bogota(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BOGOTA)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime.combine(date(year, month, day), END_OF_DAY, tzinfo=BOGOTA)


def test_weekends_are_not_business_days() -> None:
    calendar = BusinessCalendar()
    assert calendar.is_business_day(date(2026, 2, 6))  # Friday
    assert not calendar.is_business_day(date(2026, 2, 7))  # Saturday
    assert not calendar.is_business_day(date(2026, 2, 8))  # Sunday


def test_holy_thursday_and_good_friday_2026_are_holidays() -> None:
    calendar = BusinessCalendar()
    assert not calendar.is_business_day(date(2026, 4, 2))
    assert not calendar.is_business_day(date(2026, 4, 3))


def test_emiliani_holidays_move_to_monday_and_the_original_weekday_is_worked() -> None:
    calendar = BusinessCalendar()
    assert not calendar.is_business_day(date(2026, 1, 12))  # Reyes, from Tue 6 Jan
    assert calendar.is_business_day(date(2026, 1, 6))
    assert not calendar.is_business_day(date(2026, 3, 23))  # San José, from Thu 19 Mar
    assert calendar.is_business_day(date(2026, 3, 19))
    assert not calendar.is_business_day(date(2026, 6, 29))  # San Pedro y San Pablo, a Monday
    assert not calendar.is_business_day(date(2026, 6, 15))  # Sagrado Corazón


def test_chiquinquira_day_from_ley_2578_de_2026_is_monday_13_july() -> None:
    # New holiday (9 July, moved to Monday) added by Ley 2578 de 2026; with Independence Day on
    # Monday 20 July, July 2026 has two holiday Mondays in a row.
    calendar = BusinessCalendar()
    assert calendar.is_business_day(date(2026, 7, 9))
    assert not calendar.is_business_day(date(2026, 7, 13))
    assert not calendar.is_business_day(date(2026, 7, 20))


def test_an_administrator_closure_is_not_a_business_day() -> None:
    calendar = BusinessCalendar(closures=[date(2026, 12, 31)])
    assert not calendar.is_business_day(date(2026, 12, 31))
    assert BusinessCalendar().is_business_day(date(2026, 12, 31))


def test_counting_starts_the_business_day_after_filing_and_ends_at_midnight_in_bogota() -> None:
    deadline = BusinessCalendar().add_business_days(bogota(2026, 2, 2, 8), 1)
    assert deadline == end_of(2026, 2, 3)
    assert deadline.tzinfo == BOGOTA


def test_a_petition_filed_before_semana_santa_skips_holy_thursday_and_friday() -> None:
    calendar = BusinessCalendar()
    assert calendar.add_business_days(bogota(2026, 4, 1), 1) == end_of(2026, 4, 6)
    assert calendar.add_business_days(bogota(2026, 3, 30), 15) == end_of(2026, 4, 22)


def test_a_petition_filed_on_friday_before_an_emiliani_monday_counts_from_tuesday() -> None:
    calendar = BusinessCalendar()
    assert calendar.add_business_days(bogota(2026, 1, 9), 1) == end_of(2026, 1, 13)
    assert calendar.add_business_days(bogota(2026, 3, 20), 1) == end_of(2026, 3, 24)
    assert calendar.add_business_days(bogota(2026, 6, 26), 1) == end_of(2026, 6, 30)


def test_a_ten_day_term_in_july_2026_skips_both_13_and_20_july() -> None:
    # Without the new Chiquinquirá holiday the term would end on Monday 27 July.
    deadline = BusinessCalendar().add_business_days(bogota(2026, 7, 10), 10)
    assert deadline == end_of(2026, 7, 28)


def test_a_petition_filed_at_year_end_skips_new_year_and_the_reyes_monday_of_2027() -> None:
    # 31 Dec (1), 4–8 Jan (2–6), 11 Jan is Reyes, 12–15 Jan (7–10), 18–22 Jan (11–15).
    deadline = BusinessCalendar().add_business_days(bogota(2026, 12, 30, 15), 15)
    assert deadline == end_of(2027, 1, 22)


def test_an_administrator_closure_pushes_the_deadline_one_business_day() -> None:
    calendar = BusinessCalendar(closures=[date(2026, 12, 31)])
    assert calendar.add_business_days(bogota(2026, 12, 30, 15), 15) == end_of(2027, 1, 25)


def test_a_petition_filed_on_saturday_counts_from_monday() -> None:
    deadline = BusinessCalendar().add_business_days(bogota(2026, 2, 7), 1)
    assert deadline == end_of(2026, 2, 9)


def test_the_filing_day_is_the_day_in_bogota_not_in_utc() -> None:
    # 23:30 on Monday 30 March in Bogotá is already Tuesday in UTC.
    filed_at = datetime(2026, 3, 31, 4, 30, tzinfo=UTC)
    assert BusinessCalendar().add_business_days(filed_at, 1) == end_of(2026, 3, 31)


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar().add_business_days(datetime(2026, 2, 2, 10), 1)


def test_business_hours_run_from_eight_to_five_and_skip_holidays() -> None:
    # Fri 9 Jan 16:00: 1 h on Friday, Mon 12 is Reyes, 9 h Tue, 9 h Wed, 5 h Thu.
    calendar = BusinessCalendar()
    assert calendar.add_business_hours(bogota(2026, 1, 9, 16), 24) == bogota(2026, 1, 15, 13)


def test_business_hours_before_opening_start_at_eight() -> None:
    calendar = BusinessCalendar()
    assert calendar.add_business_hours(bogota(2026, 2, 3, 6), 9) == bogota(2026, 2, 3, 17)


def test_business_hours_after_closing_start_the_next_business_morning() -> None:
    calendar = BusinessCalendar()
    assert calendar.add_business_hours(bogota(2026, 2, 3, 18, 30), 2) == bogota(2026, 2, 4, 10)


def test_business_hours_skip_semana_santa() -> None:
    calendar = BusinessCalendar()
    assert calendar.add_business_hours(bogota(2026, 4, 1, 15), 24) == bogota(2026, 4, 8, 12)


def test_business_days_between_counts_the_days_after_the_first_date() -> None:
    calendar = BusinessCalendar()
    assert calendar.business_days_between(date(2026, 3, 30), date(2026, 4, 22)) == 15
    assert calendar.business_days_between(date(2026, 4, 22), date(2026, 3, 30)) == -15
    assert calendar.business_days_between(date(2026, 4, 1), date(2026, 4, 5)) == 0


def test_previous_and_next_business_day_jump_over_semana_santa() -> None:
    calendar = BusinessCalendar()
    assert calendar.next_business_day(date(2026, 4, 1)) == date(2026, 4, 6)
    assert calendar.previous_business_day(date(2026, 4, 6)) == date(2026, 4, 1)

from datetime import date, datetime, time
from typing import Any

import pytest

from engine import time_helpers
from engine.business_calendar import BusinessCalendar
from engine.clock import BOGOTA
from engine.deadlines import (
    DeadlineError,
    business_reminder,
    extend_legal_deadline,
    first_response_reminder,
    legal_deadline,
)

CALENDAR = BusinessCalendar()
END_OF_DAY = time(23, 59, 59, 999999)
# Monday 2 February 2026: no holidays until San José (23 March).
FILED_AT = datetime(2026, 2, 2, 9, 30, tzinfo=BOGOTA)


def bogota(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BOGOTA)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime.combine(date(year, month, day), END_OF_DAY, tzinfo=BOGOTA)


def extend(**overrides: Any) -> datetime:
    request: dict[str, Any] = {
        "filed_at": FILED_AT,
        "original_days": 15,
        "extra_days": 15,
        "already_extended": False,
        "reasons": "Se requiere información de otra entidad.",
        "now": bogota(2026, 2, 20),
        "current_deadline": end_of(2026, 2, 23),
        "calendar": CALENDAR,
    }
    return extend_legal_deadline(**(request | overrides))


def test_documents_and_information_are_due_in_ten_business_days() -> None:
    assert legal_deadline(FILED_AT, 10, CALENDAR) == end_of(2026, 2, 16)


def test_a_general_petition_a_complaint_or_a_claim_is_due_in_fifteen_business_days() -> None:
    assert legal_deadline(FILED_AT, 15, CALENDAR) == end_of(2026, 2, 23)


def test_a_consulta_is_due_in_thirty_business_days() -> None:
    assert legal_deadline(FILED_AT, 30, CALENDAR) == end_of(2026, 3, 16)


HELPERS = time_helpers.helpers(lambda: CALENDAR)


def test_sumar_horas_counts_clock_hours_ignoring_weekends_and_holidays() -> None:
    # Friday 16:00 before the Reyes Monday, as a diagram's timer reads it from ``caso``.
    due = HELPERS["sumar_horas"](bogota(2026, 1, 9, 16).isoformat(), 24)
    assert datetime.fromisoformat(due) == bogota(2026, 1, 10, 16)


def test_sumar_horas_habiles_counts_working_hours_only() -> None:
    due = HELPERS["sumar_horas_habiles"](bogota(2026, 1, 9, 16).isoformat(), 24)
    assert datetime.fromisoformat(due) == bogota(2026, 1, 15, 13)


def test_sumar_dias_habiles_ends_with_the_business_day() -> None:
    due = HELPERS["sumar_dias_habiles"](FILED_AT.isoformat(), 15)
    assert datetime.fromisoformat(due) == end_of(2026, 2, 23)


@pytest.mark.parametrize(
    "moment, amount",
    [("2026-01-09T16:00:00", 24), (FILED_AT, -1), (FILED_AT, 10**9), (FILED_AT, "24")],
)
def test_the_date_helpers_refuse_what_they_cannot_count(moment, amount) -> None:
    with pytest.raises(ValueError):
        HELPERS["sumar_horas_habiles"](moment, amount)


def test_the_first_response_reminder_is_four_clock_hours_before() -> None:
    assert first_response_reminder(bogota(2026, 1, 10, 16)) == bogota(2026, 1, 10, 12)


def test_the_legal_reminder_is_at_eight_on_the_business_day_before_the_deadline() -> None:
    assert business_reminder(end_of(2026, 4, 22), CALENDAR) == bogota(2026, 4, 21, 8)


def test_the_reminder_before_a_tuesday_deadline_skips_the_emiliani_monday() -> None:
    assert business_reminder(end_of(2026, 1, 13), CALENDAR) == bogota(2026, 1, 9, 8)


def test_the_reminder_before_a_deadline_after_easter_falls_before_semana_santa() -> None:
    assert business_reminder(end_of(2026, 4, 6), CALENDAR) == bogota(2026, 4, 1, 8)


def test_a_prorroga_extends_the_term_counted_from_the_original_filing() -> None:
    assert extend() == end_of(2026, 3, 16)


def test_a_prorroga_can_be_shorter_than_the_original_term() -> None:
    assert extend(extra_days=5) == end_of(2026, 3, 2)


def test_a_prorroga_is_allowed_until_the_last_moment_of_the_term() -> None:
    assert extend(now=end_of(2026, 2, 23)) == end_of(2026, 3, 16)


def test_a_prorroga_of_one_day_is_allowed() -> None:
    assert extend(extra_days=1) == end_of(2026, 2, 24)


def refusal(**overrides: Any) -> str:
    """The whole message the person reads when the prórroga is refused."""
    with pytest.raises(DeadlineError) as error:
        extend(**overrides)
    return str(error.value)


def test_a_prorroga_is_granted_only_once() -> None:
    assert refusal(already_extended=True) == "La prórroga ya se concedió una vez."


def test_a_prorroga_cannot_more_than_double_the_term() -> None:
    assert refusal(extra_days=16) == (
        "La prórroga no puede superar el término inicial (15 días hábiles)."
    )


def test_a_prorroga_needs_at_least_one_day() -> None:
    assert refusal(extra_days=0) == "La prórroga debe ser de al menos un día hábil."


def test_a_prorroga_needs_reasons() -> None:
    assert refusal(reasons="   ") == "Indique los motivos de la prórroga."


def test_a_prorroga_needs_real_reasons_not_a_word() -> None:
    with pytest.raises(DeadlineError, match="al menos 20 caracteres"):
        extend(reasons="  Falta información  ")  # 17 characters once trimmed
    assert extend(reasons="Falta información del área.") > end_of(2026, 2, 23)


def test_an_expired_term_cannot_be_extended() -> None:
    assert refusal(now=bogota(2026, 2, 24, 0, 0)) == (
        "El término ya venció; no se puede prorrogar."
    )


def test_a_deadline_error_is_a_value_error() -> None:
    assert issubclass(DeadlineError, ValueError)

"""Date helpers diagrams call in timers and scripts: ``sumar_horas``, ``sumar_horas_habiles``
and ``sumar_dias_habiles``.

They take a moment (an ISO 8601 text with offset, as ``caso[...]`` holds them, or a datetime)
and answer an ISO 8601 text in Bogotá, which is what a ``timeDate`` timer expects. So the rule
"first response within 24 hours" lives in the diagram:
``sumar_horas(caso['radicado_en'], 24)``.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from engine.business_calendar import BusinessCalendar
from engine.clock import BOGOTA


def _moment(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError("se esperaba una fecha y hora con zona horaria")
    return moment


MAX_AMOUNT = 10_000  # hours or days: more than a year of business time, bounded for the loop


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("la cantidad debe ser un número")
    if not 0 <= value <= MAX_AMOUNT:
        raise ValueError(f"la cantidad debe estar entre 0 y {MAX_AMOUNT}")
    return value


def helpers(calendar: Callable[[], BusinessCalendar]) -> dict[str, Callable[..., str]]:
    """The helpers, bound to the entity's business calendar (holidays and closures), which
    is read only when a helper that counts business time is called."""

    def sumar_horas(momento: datetime | str, horas: float) -> str:
        """Clock hours after ``momento``."""
        return (_moment(momento) + timedelta(hours=_number(horas))).astimezone(BOGOTA).isoformat()

    def sumar_horas_habiles(momento: datetime | str, horas: float) -> str:
        """Working hours (business days, office hours) after ``momento``."""
        return calendar().add_business_hours(_moment(momento), _number(horas)).isoformat()

    def sumar_dias_habiles(momento: datetime | str, dias: int) -> str:
        """The end of the ``dias``-th business day after ``momento``'s day."""
        return (
            calendar().add_business_days(_moment(momento), max(1, int(_number(dias)))).isoformat()
        )

    return {
        "sumar_horas": sumar_horas,
        "sumar_horas_habiles": sumar_horas_habiles,
        "sumar_dias_habiles": sumar_dias_habiles,
    }

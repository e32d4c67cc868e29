"""Periodic processes: which period of a diagram's timeCycle the clock is in."""

from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition


def current_period(cycle: str, now: datetime) -> datetime | None:
    """Start of the period of ``R[n]/start/duration`` that contains ``now`` (None before the first).

    Months are calendar months (``P1M`` from 1 January is 1 February, 1 March…), as a person
    reading the diagram expects."""
    repetitions, start, _ = TimerEventDefinition.parse_iso_recurring_interval(cycle)
    duration = cycle.split("/")[-1]
    if start > now:
        return None
    period, count = start, 0
    while repetitions < 0 or count < repetitions:
        following = period + TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(duration), period
        )
        if following > now:
            return period
        period, count = following, count + 1
    return None

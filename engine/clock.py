"""The one source of time: the engine asks a clock, tests move a manual one, nobody sleeps."""

import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

BOGOTA = ZoneInfo("America/Bogota")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when a test tells it to."""

    def __init__(self, start: datetime) -> None:
        self._now = _as_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = _as_utc(moment)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("ManualClock needs a timezone-aware datetime")
    return moment.astimezone(UTC)


class FileClock:
    """Reads the current instant (ISO 8601 with offset) from a file on every call."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def now(self) -> datetime:
        moment = datetime.fromisoformat(self.path.read_text().strip())
        if moment.tzinfo is None:
            raise ValueError(f"{self.path} must hold a timezone-aware instant")
        return moment.astimezone(UTC)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FileClock needs a timezone-aware datetime")
        # Write then rename, so a reader never sees a half-written instant.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".clock-")
        with os.fdopen(fd, "w") as handle:
            handle.write(moment.astimezone(UTC).isoformat())
        os.replace(tmp, self.path)

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)


def clock_from_environment(clock_file: str | None) -> Clock:
    """The clock of a process: the shared file clock when one is named, else the system's.

    Tests and benchmarks start real worker processes and still need every process to see
    the same injected time; ``CLOCK_FILE`` names the file. In production none is set."""
    return FileClock(clock_file) if clock_file else SystemClock()

"""Clocks implementing domain.ports.Clock: the real one and a controllable one for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def _as_aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a clock needs a timezone-aware datetime")
    return value.astimezone(UTC)


class SystemClock:
    """The real time, timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to. `now` defaults to the current second (UTC)."""

    def __init__(self, now: datetime | None = None) -> None:
        if now is None:
            now = datetime.now(UTC).replace(microsecond=0)
        self._now = _as_aware_utc(now)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = _as_aware_utc(now)

    def advance(
        self,
        *,
        weeks: float = 0,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
        milliseconds: float = 0,
        microseconds: float = 0,
    ) -> datetime:
        """Move forward (or backward, with negative values); returns the new now."""
        self._now += timedelta(
            weeks=weeks,
            days=days,
            hours=hours,
            minutes=minutes,
            seconds=seconds,
            milliseconds=milliseconds,
            microseconds=microseconds,
        )
        return self._now

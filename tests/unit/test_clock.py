"""SystemClock and FixedClock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from adapters.clock import FixedClock, SystemClock
from domain.ports import Clock


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_fixed_clock_stands_still_until_advanced() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    clock = FixedClock(start)
    assert clock.now() == clock.now() == start

    assert clock.advance(days=1, hours=2, seconds=3) == start + timedelta(
        days=1, hours=2, seconds=3
    )
    assert clock.now() == start + timedelta(days=1, hours=2, seconds=3)
    clock.advance(minutes=-5)
    assert clock.now() == start + timedelta(days=1, hours=2, seconds=3, minutes=-5)

    clock.set(start)
    assert clock.now() == start


def test_fixed_clock_normalizes_to_utc_and_refuses_naive() -> None:
    paris = timezone(timedelta(hours=1))
    clock = FixedClock(datetime(2030, 1, 1, 13, 0, tzinfo=paris))
    assert clock.now() == datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC

    with pytest.raises(ValueError):
        FixedClock(datetime(2030, 1, 1))
    with pytest.raises(ValueError):
        clock.set(datetime(2030, 1, 1))


def test_fixed_clock_defaults_to_the_current_second() -> None:
    now = FixedClock().now()
    assert now.microsecond == 0 and now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_both_implement_the_port() -> None:
    clocks: list[Clock] = [SystemClock(), FixedClock()]  # checked by mypy
    assert all(clock.now().tzinfo is not None for clock in clocks)

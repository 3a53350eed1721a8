"""Fixtures of the unit tests: a fixed clock and the use cases wired to the memory adapters."""

from __future__ import annotations

import pytest

from adapters.clock import FixedClock
from tests.unit.builders import NOW, World, make_world


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def world() -> World:
    return make_world(NOW)

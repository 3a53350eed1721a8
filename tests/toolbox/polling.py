"""Waiting for something to become true, with a deadline and a message that says what.

    await poll_until(lambda: numsub(channel), deadline=30, what="the subscriber on Redis")
    refund = await poll_until(fetch_refund, until=lambda r: r["status"] == "SUCCEEDED")

Use it for state that changes on its own (another process, a background task). To prove that
something does NOT arrive, do not wait for silence: send a later sentinel through the same path
and assert that the sentinel is the next thing received (see tests/toolbox/ws.py `next_is`).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def poll_until(
    probe: Callable[[], T | Awaitable[T]],
    *,
    until: Callable[[T], object] = bool,
    deadline: float = 10.0,
    interval: float = 0.05,
    what: str | None = None,
) -> T:
    """Calls `probe` (sync or async) every `interval` seconds until `until(value)` holds (by
    default: the value is truthy) and returns that value; fails after `deadline` seconds,
    saying what was awaited and the last value seen."""
    limit = time.monotonic() + deadline
    while True:
        value = probe()
        if inspect.isawaitable(value):
            value = await value
        if until(value):  # type: ignore[arg-type]
            return value  # type: ignore[return-value]
        if time.monotonic() >= limit:
            name = what or getattr(probe, "__name__", repr(probe))
            raise AssertionError(
                f"waited {deadline:g} s for {name}; still not there (last value: {value!r})"
            )
        await asyncio.sleep(interval)

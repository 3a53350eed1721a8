"""A shared (Redis) rate limiter that degrades to a per-process one while Redis is unreachable.

Limits protect security (login attempts): failing open would let a password guesser through
while Redis is down, failing closed would lock every user out. So while the shared limiter
fails, each process counts on its own (the same limit per instance: an attacker spreading over
N instances gets at most N times the limit, for as long as the outage lasts), and goes back to
the shared counts as soon as Redis answers again.
"""

from __future__ import annotations

import asyncio
import logging
import time

from adapters.redis_failures import REDIS_FAILURES_OR_TIMEOUT
from domain.ports import RateLimiter

log = logging.getLogger("adapters.rate_limit")


class FallbackRateLimiter:
    def __init__(
        self,
        shared: RateLimiter,
        local: RateLimiter,
        *,
        timeout_seconds: float = 0.5,
        retry_shared_after_seconds: float = 1.0,
    ) -> None:
        self.shared = shared
        self.local = local
        self._timeout = timeout_seconds
        self._retry_after = retry_shared_after_seconds
        self._shared_down_until = 0.0
        self.fallbacks = 0

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> float | None:
        # Counted locally too, always: when the shared limiter fails over, the local counts
        # already hold the recent attempts.
        local = await self.local.hit(key, limit=limit, window_seconds=window_seconds)
        if time.monotonic() >= self._shared_down_until:
            try:
                async with asyncio.timeout(self._timeout):
                    return await self.shared.hit(key, limit=limit, window_seconds=window_seconds)
            except REDIS_FAILURES_OR_TIMEOUT as exc:
                self._shared_down_until = time.monotonic() + self._retry_after
                log.warning(
                    "rate limits: Redis unavailable (%s); counting in this process for now",
                    type(exc).__name__,
                )
        self.fallbacks += 1
        return local

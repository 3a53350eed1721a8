"""Every way a Redis call fails when Redis is down, restarting, reset or hanging.

redis-py raises its own errors (ConnectionError, TimeoutError, ...) and sometimes a bare OSError;
under uvloop, writing to a connection whose transport was already closed raises
`RuntimeError("unable to perform operation on <TCPTransport closed=True ...>; the handler is
closed")`, which is neither. Code that treats a Redis outage as a degradation catches
`REDIS_FAILURES` (plus TimeoutError where it sets its own deadline)."""

from __future__ import annotations

from typing import Final

from redis.exceptions import RedisError

REDIS_FAILURES: Final[tuple[type[Exception], ...]] = (RedisError, OSError, RuntimeError)

# The same, plus the TimeoutError of a deadline the caller set itself (asyncio.timeout).
REDIS_FAILURES_OR_TIMEOUT: Final[tuple[type[Exception], ...]] = (*REDIS_FAILURES, TimeoutError)

"""Which exceptions mean "a dependency is unavailable right now" (retry later), as opposed to a bug.

The GraphQL layer answers those with SERVICE_UNAVAILABLE and a retry hint instead of a masked
"Unexpected error." (or a bare 500): it receives `dependency_unavailable` from the composition
root, never imports this module (app code does not import adapters).

Covered: PostgreSQL / SQLite through SQLAlchemy (connection lost or refused, pool wait over,
statement or connect timeout, database locked), asyncpg's own errors, Redis (redis-py's errors
and the `RuntimeError("... handler is closed")` it raises under uvloop when a connection's
transport is already gone), and the operating system's connection errors and timeouts. The
whole chain (`__cause__` / `__context__`) is looked at: SQLAlchemy wraps the driver's error.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy.exc as sa_exc
from redis.exceptions import RedisError

try:  # asyncpg is only installed where PostgreSQL is used
    import asyncpg.exceptions as pg_exc  # type: ignore[import-untyped]  # no stubs

    _ASYNCPG: tuple[type[BaseException], ...] = (
        pg_exc.PostgresConnectionError,
        pg_exc.InterfaceError,
        pg_exc.QueryCanceledError,  # statement_timeout
        pg_exc.CannotConnectNowError,
        pg_exc.TooManyConnectionsError,
        pg_exc.AdminShutdownError,
    )
except ImportError:  # pragma: no cover
    _ASYNCPG = ()

DATABASE: Final = "database"
REDIS: Final = "redis"
NETWORK: Final = "network"

_DATABASE: Final[tuple[type[BaseException], ...]] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,  # the pool's wait for a connection
    sa_exc.DisconnectionError,
    *_ASYNCPG,
)
_MAX_CHAIN: Final = 16


def closed_transport(exc: BaseException) -> bool:
    """redis-py under uvloop: writing to a connection whose transport was closed raises
    RuntimeError('unable to perform operation on <TCPTransport closed=True ...>; the handler
    is closed')."""
    if not isinstance(exc, RuntimeError):
        return False
    text = str(exc)
    return "handler is closed" in text or "closed=True" in text or "Transport is closed" in text


def dependency_unavailable(exc: BaseException) -> str | None:
    """The kind of dependency ("database", "redis", "network") that `exc` (or what it wraps)
    says is down, unreachable or too slow; None for anything else."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < _MAX_CHAIN:
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return DATABASE
        if isinstance(current, _DATABASE):
            return DATABASE
        if isinstance(current, RedisError) or closed_transport(current):
            return REDIS
        if isinstance(current, (ConnectionError, TimeoutError)):
            return NETWORK
        if isinstance(current, OSError) and current.errno is not None:
            return NETWORK
        seen += 1
        current = current.__cause__ or current.__context__
    return None

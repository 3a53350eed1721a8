"""The backing services of the suites: where PostgreSQL and Redis are, throwaway PostgreSQL
databases, and skipping (a failure under CI=true, see tests/conftest.py) when a server is down.

    async with throwaway_database("live") as url:   # created, migrated, dropped at the end
        ...

Tests that use these carry the `postgres` / `redis` markers (see tests/conftest.py), so that
`pytest -m "not postgres and not redis"` runs without either server.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from redis.asyncio import Redis

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def asyncpg_dsn(url: str, database: str | None = None) -> str:
    """The asyncpg DSN of a SQLAlchemy URL (of `database` on the same server, if given)."""
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    if database is not None:
        base, _, _ = dsn.rpartition("/")
        dsn = f"{base}/{database}"
    return dsn


def _server_of(url: str) -> str:
    """`postgresql+asyncpg://user@host:port/db` -> `postgresql+asyncpg://user@host:port`."""
    return url.rpartition("/")[0]


async def _maintenance_connection(server_url: str):  # type: ignore[no-untyped-def]
    """A connection to the server's `postgres` database; skips the test when it is down."""
    import asyncpg  # type: ignore[import-untyped]

    try:
        return await asyncpg.connect(asyncpg_dsn(server_url, "postgres"), timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL not reachable at {server_url}: {exc!r}")


async def create_postgres_database(prefix: str, *, server_url: str = POSTGRES_URL) -> str:
    """A fresh, empty database `<prefix>_<random>` on the server of `server_url` (by default
    the test server); returns its SQLAlchemy URL. Skips the test when the server is down."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await _maintenance_connection(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{_server_of(server_url)}/{name}"


async def drop_postgres_database(url: str) -> None:
    """Drops a database made by create_postgres_database (connections to it are ended)."""
    name = url.rpartition("/")[2]
    conn = await _maintenance_connection(url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def drop_stale_databases(prefix: str, *, server_url: str = POSTGRES_URL) -> None:
    """Drops `<prefix>_*` databases left behind by killed runs (older than an hour, unused)."""
    import asyncpg

    conn = await _maintenance_connection(server_url)
    try:
        names = await conn.fetch(
            """
            SELECT d.datname FROM pg_database d
            WHERE d.datname LIKE $1
              AND (pg_stat_file('base/' || d.oid || '/PG_VERSION')).modification
                  < now() - interval '1 hour'
              AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)
            """,
            prefix.replace("_", "\\_") + "\\_%",
        )
        for record in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{record["datname"]}"')
    except asyncpg.PostgresError:
        pass  # not allowed to look (pg_stat_file needs privileges) or in use: keep them
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def throwaway_database(
    prefix: str, *, migrate: bool = True, server_url: str = POSTGRES_URL
) -> AsyncIterator[str]:
    """A fresh database (migrated to head unless `migrate=False`) for the block; its URL.
    Dropped at the end, whatever happens."""
    url = await create_postgres_database(prefix, server_url=server_url)
    try:
        if migrate:
            from adapters.sql.migrate import upgrade_to_head

            await upgrade_to_head(url)
        yield url
    finally:
        await drop_postgres_database(url)


async def redis_client(url: str = REDIS_URL, **options: Any) -> Redis:
    """A client of the test Redis that answered a PING (connect timeout 2 s, socket timeout 5 s,
    plus `options`); the caller closes it. Skips the test when Redis does not answer."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, **options)
    try:
        await client.ping()
    except Exception as exc:  # noqa: BLE001
        await client.aclose()
        pytest.skip(f"Redis at {url} is unreachable ({type(exc).__name__}: {exc})")
    return client


async def redis_or_skip(url: str = REDIS_URL) -> None:
    """Skips the test (a failure under CI=true) when Redis does not answer a PING."""
    client = await redis_client(url)
    await client.aclose()

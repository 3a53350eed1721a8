"""Fixtures of the SQL adapter tests, each run against SQLite (a temp file) and PostgreSQL.

PostgreSQL: every test session creates fresh, uniquely named databases through the `postgres`
maintenance database of TEST_POSTGRES_URL and drops them at the end. Without a reachable server
the PostgreSQL half is skipped with the reason (a failure when CI=true).

Tests share one migrated database per backend; they never clean up, so each test makes its own
users / orders (unique ids) and filters on them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.sql.db import create_engine, create_session_factory
from adapters.sql.migrate import upgrade_to_head
from adapters.sql.read_store import SqlReadStore
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

DatabaseFactory = Callable[[], Awaitable[str]]


def postgres_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


class PostgresDatabases:
    """Creates and drops throwaway databases next to the one TEST_POSTGRES_URL names."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.created: list[str] = []

    async def _admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            host=self.url.host or "127.0.0.1",
            port=self.url.port or 5432,
            user=self.url.username or "postgres",
            password=self.url.password,
            database="postgres",
            timeout=3,
        )

    async def ping(self) -> None:
        conn = await self._admin()
        await conn.close()

    async def drop_stale(self) -> None:
        """Drop test databases left behind by killed runs (older than an hour, unused)."""
        conn = await self._admin()
        try:
            names = await conn.fetch(
                """
                SELECT d.datname FROM pg_database d
                WHERE d.datname LIKE 'sqltest\\_%'
                  AND (pg_stat_file('base/' || d.oid || '/PG_VERSION')).modification
                      < now() - interval '1 hour'
                  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)
                """
            )
            for record in names:
                await conn.execute(f'DROP DATABASE IF EXISTS "{record["datname"]}"')
        except asyncpg.PostgresError:
            pass  # not allowed to look (pg_stat_file needs privileges) or in use: keep them
        finally:
            await conn.close()

    async def create(self) -> str:
        name = f"sqltest_{uuid.uuid4().hex[:12]}"
        conn = await self._admin()
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        if not self.created:
            return
        conn = await self._admin()
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self.created.clear()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
async def database_factory(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DatabaseFactory]:
    """Makes new empty databases of the backend (dropped at the end of the session)."""
    if backend == "sqlite":
        folder: Path = tmp_path_factory.mktemp("sqlite")

        async def new_sqlite() -> str:
            return f"sqlite+aiosqlite:///{folder / f'{uuid.uuid4().hex[:12]}.db'}"

        yield new_sqlite
        return

    databases = PostgresDatabases(postgres_url())
    try:
        await databases.ping()
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        _unavailable(f"PostgreSQL is not reachable at {postgres_url()} ({exc!r})")
    await databases.drop_stale()
    try:
        yield databases.create
    finally:
        await databases.drop_all()


@pytest.fixture(scope="session")
async def database_url(database_factory: DatabaseFactory) -> str:
    """One migrated database per backend, shared by the tests of that backend."""
    url = await database_factory()
    await upgrade_to_head(url)
    return url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    # Warm up: the dialect's first-connect queries must not show up in statement counts.
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture(scope="session")
def uow_factory(session_factory: async_sessionmaker[AsyncSession]) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(session_factory)


@pytest.fixture(scope="session")
def read_store(session_factory: async_sessionmaker[AsyncSession]) -> SqlReadStore:
    return SqlReadStore(session_factory)

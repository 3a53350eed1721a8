"""Fixtures of the SQL adapter tests, each run against SQLite (a temp file) and PostgreSQL.

PostgreSQL: every test session creates fresh, uniquely named databases next to TEST_POSTGRES_URL
(tests/toolbox/services.py) and drops them at the end. Without a reachable server the PostgreSQL
half is skipped with the reason (a failure when CI=true).

Tests share one migrated database per backend; they never clean up, so each test makes its own
users / orders (unique ids) and filters on them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.sql.db import create_engine, create_session_factory
from adapters.sql.migrate import upgrade_to_head
from adapters.sql.read_store import SqlReadStore
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from tests.toolbox.services import (
    create_postgres_database,
    drop_postgres_database,
    drop_stale_databases,
)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
PREFIX = "sqltest"  # of the databases made here (stale ones of killed runs are dropped)

DatabaseFactory = Callable[[], Awaitable[str]]


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

    created: list[str] = []

    async def new_postgres() -> str:
        url = await create_postgres_database(PREFIX)
        created.append(url)
        return url

    await drop_stale_databases(PREFIX)
    try:
        yield new_postgres
    finally:
        for url in created:
            await drop_postgres_database(url)


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

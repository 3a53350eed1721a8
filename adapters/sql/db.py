"""Engines and sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg), plus a statement counter.

SQLite: `PRAGMA foreign_keys=ON`, WAL, `busy_timeout`, and SQLAlchemy (not the sqlite3 driver)
emits BEGIN: `BEGIN IMMEDIATE` for read-write transactions, so concurrent writers queue on the
database lock (up to busy_timeout) instead of failing with "database is locked" when a deferred
transaction tries to upgrade to a write lock. Read-only transactions (the read store) use a plain
deferred BEGIN: with WAL they never wait for writers.
This is the recipe of SQLAlchemy's SQLite docs ("Enabling Non-Legacy SQLite Transactional Modes":
`isolation_level = None` on connect + a `begin` event that emits BEGIN).

PostgreSQL: asyncpg with a bounded pool, pre-ping (recovers after a server restart), and a
server-side statement timeout.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# Execution option (on a connection, before its transaction begins): this transaction only reads.
READ_ONLY = "support_read_only"

SQLITE_BUSY_TIMEOUT_MS = 5000
POSTGRES_STATEMENT_TIMEOUT_MS = 10_000


def create_engine(
    url: str,
    *,
    statement_timeout_ms: int = POSTGRES_STATEMENT_TIMEOUT_MS,
    **engine_kwargs: Any,
) -> AsyncEngine:
    """An AsyncEngine for a `sqlite+aiosqlite://` or `postgresql+asyncpg://` URL.

    `engine_kwargs` override the defaults (e.g. `pool_size`, `poolclass`, `echo`)."""
    sa_url = make_url(url)
    backend = sa_url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(sa_url, engine_kwargs)
    if backend == "postgresql":
        return _postgres_engine(sa_url, statement_timeout_ms, engine_kwargs)
    raise ValueError(f"unsupported database backend {backend!r} (use SQLite or PostgreSQL)")


def _sqlite_engine(url: URL, engine_kwargs: dict[str, Any]) -> AsyncEngine:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"pool_timeout": 30}
    kwargs.update(engine_kwargs)
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 driver (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _postgres_engine(
    url: URL, statement_timeout_ms: int, engine_kwargs: dict[str, Any]
) -> AsyncEngine:
    connect_args: dict[str, Any] = {
        "server_settings": {
            "statement_timeout": str(statement_timeout_ms),
            "idle_in_transaction_session_timeout": "60000",
            "application_name": "support-refunds",
        },
        "timeout": 10,  # connecting
        # Client-side backstop a little above the server's statement timeout.
        "command_timeout": statement_timeout_ms / 1000 + 5,
    }
    connect_args.update(engine_kwargs.pop("connect_args", {}))
    kwargs: dict[str, Any] = {
        "pool_size": 10,
        "max_overflow": 10,
        "pool_timeout": 10,
        "pool_recycle": 1800,
        "pool_pre_ping": True,
        "connect_args": connect_args,
    }
    kwargs.update(engine_kwargs)
    return create_async_engine(url, **kwargs)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for units of work and the read store (no expiry on commit, no autoflush)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


# -- statement counter (N+1 tests) -------------------------------------------------------------

# Transaction control is not a query: the counter leaves it out, so "one statement" means one query
# on both SQLite (where SQLAlchemy emits BEGIN itself) and PostgreSQL (where asyncpg does).
_TRANSACTION_CONTROL = re.compile(
    r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|END)\b", re.IGNORECASE
)


@dataclass
class StatementCounter:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@contextmanager
def count_statements(engine: AsyncEngine | Engine) -> Iterator[StatementCounter]:
    """Count the SQL statements the engine sends in the block (transaction control excluded).

    Counts every connection of the engine: do not run unrelated work concurrently."""
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    counter = StatementCounter()

    def _before_cursor_execute(
        _conn: Any,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        if not _TRANSACTION_CONTROL.match(statement):
            counter.statements.append(statement)

    event.listen(sync_engine, "before_cursor_execute", _before_cursor_execute)
    try:
        yield counter
    finally:
        event.remove(sync_engine, "before_cursor_execute", _before_cursor_execute)

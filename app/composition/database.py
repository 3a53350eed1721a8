"""The SQL side: one engine per runtime and the adapters that share its session factory."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.db import create_engine, create_session_factory
from adapters.sql.outbound_webhooks import SqlWebhookStore
from adapters.sql.read_store import SqlReadStore
from adapters.sql.retention import SqlRetentionStore
from adapters.sql.sla import SqlSlaBreachLog
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from app.composition.shutdown import bounded_close
from app.settings import Settings


@dataclass(frozen=True)
class SqlAdapters:
    engine: AsyncEngine
    uow: SqlUnitOfWorkFactory
    reads: SqlReadStore
    sla_breaches: SqlSlaBreachLog
    retention: SqlRetentionStore
    webhooks: SqlWebhookStore


def database_deadlines(settings: Settings) -> dict[str, Any]:
    """Engine options that bound a request while PostgreSQL is down or hanging, and the pool's
    size (SQLite: none).

    Connecting, each statement (server-side `statement_timeout`, and a client-side backstop one
    second later for a server that never answers) and the wait for a pooled connection each
    have their own deadline (settings)."""
    if make_url(settings.effective_database_url).get_backend_name() != "postgresql":
        return {}
    statement = settings.database_statement_timeout_seconds
    return {
        "statement_timeout_ms": int(statement * 1000),
        "pool_timeout": settings.database_pool_timeout_seconds,
        "pool_size": settings.database_pool_size,
        "max_overflow": settings.database_max_overflow,
        "pool_pre_ping": settings.database_pool_pre_ping,
        "connect_args": {
            "timeout": settings.database_connect_timeout_seconds,
            "command_timeout": statement + 1.0,
        },
    }


def sql_adapters(settings: Settings, stack: contextlib.AsyncExitStack) -> SqlAdapters:
    """The engine (disposed when `stack` closes) and the SQL adapters of the ports."""
    engine = create_engine(
        settings.effective_database_url,
        **database_deadlines(settings),
    )
    stack.push_async_callback(
        bounded_close, engine.dispose, "database engine", settings.shutdown_grace_seconds / 8
    )
    session_factory = create_session_factory(engine)
    return SqlAdapters(
        engine=engine,
        uow=SqlUnitOfWorkFactory(session_factory),
        reads=SqlReadStore(session_factory),
        sla_breaches=SqlSlaBreachLog(session_factory),
        retention=SqlRetentionStore(session_factory),
        webhooks=SqlWebhookStore(session_factory),
    )

"""The SQL side: one engine per runtime and the adapters that share its session factory."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.db import create_engine, create_session_factory
from adapters.sql.read_store import SqlReadStore
from adapters.sql.retention import SqlRetentionStore
from adapters.sql.sla import SqlSlaBreachLog
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from app.settings import Settings


@dataclass(frozen=True)
class SqlAdapters:
    engine: AsyncEngine
    uow: SqlUnitOfWorkFactory
    reads: SqlReadStore
    sla_breaches: SqlSlaBreachLog
    retention: SqlRetentionStore


def sql_adapters(settings: Settings, stack: contextlib.AsyncExitStack) -> SqlAdapters:
    """The engine (disposed when `stack` closes) and the SQL adapters of the ports."""
    engine = create_engine(settings.effective_database_url)
    stack.push_async_callback(engine.dispose)
    session_factory = create_session_factory(engine)
    return SqlAdapters(
        engine=engine,
        uow=SqlUnitOfWorkFactory(session_factory),
        reads=SqlReadStore(session_factory),
        sla_breaches=SqlSlaBreachLog(session_factory),
        retention=SqlRetentionStore(session_factory),
    )

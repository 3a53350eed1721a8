"""One transaction per `async with`: domain.ports.UnitOfWork over an AsyncSession.

- Nothing is kept unless `commit()` is called; leaving the block (normally or by an exception)
  rolls back whatever was not committed.
- Events (recorded explicitly, or collected by the repositories from the aggregates they store) are
  appended to `case_events` inside the same transaction, right before COMMIT, so they get their
  log `sequence`; after the commit succeeded they are exposed as `committed_events`.
- PostgreSQL: the append takes a transaction-level advisory lock, so log sequences are handed out
  in commit order. Without it, a transaction that drew sequence 10 could commit after one that drew
  11, and a subscriber replaying "after 11" would never see 10. (SQLite: BEGIN IMMEDIATE already
  serialises writers.)
- The same events become outbound webhook deliveries (adapters/sql/outbound_webhooks.py), written
  in the same transaction: the durable outbox the webhook worker sends from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from types import TracebackType
from typing import Self

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sql import mappers
from adapters.sql.audit import SqlAuditLog
from adapters.sql.macros import SqlMacroRepository, SqlRatingRepository
from adapters.sql.order_webhooks import SqlOrderWebhookInbox
from adapters.sql.outbound_webhooks import enqueue_deliveries
from adapters.sql.refund_execution import SqlIdempotencyKeyRepository, SqlRefundJobRepository
from adapters.sql.repositories import (
    SqlCaseRepository,
    SqlMessageRepository,
    SqlRefreshTokenRepository,
    SqlRefundLedger,
    SqlRefundRepository,
    SqlUserRepository,
)
from adapters.sql.tables import case_events
from domain.events import CaseEvent
from domain.ports import UnitOfWork

# pg_advisory_xact_lock key of the event log append ("case_events" as a number, any constant works).
EVENT_LOG_LOCK_KEY = 0x63617365_6576


class SqlUnitOfWork(UnitOfWork):
    # Subclasses the port: the repositories are typed as the ports (Protocol attributes are
    # invariant; the Sql* classes implement them), and mypy checks the whole interface here.

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None
        self._pending: dict[str, CaseEvent] = {}  # by event id, in recording order
        self.committed_events: list[CaseEvent] = []

    @property
    def session(self) -> AsyncSession:
        """The transaction's session (for adapters and tests that need raw SQL in the same txn)."""
        if self._session is None:
            raise RuntimeError("the unit of work is not active: use `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("a unit of work cannot be entered twice at the same time")
        session = self._session_factory()
        self._session = session
        self._pending = {}
        self.committed_events = []
        self.users = SqlUserRepository(session)
        self.cases = SqlCaseRepository(session, self._collect)
        self.messages = SqlMessageRepository(session)
        self.refunds = SqlRefundRepository(session, self._collect)
        self.ledger = SqlRefundLedger(session)
        self.refresh_tokens = SqlRefreshTokenRepository(session)
        self.order_webhooks = SqlOrderWebhookInbox(session)
        self.refund_jobs = SqlRefundJobRepository(session)
        self.idempotency_keys = SqlIdempotencyKeyRepository(session)
        self.audit_log = SqlAuditLog(session)
        self.macros = SqlMacroRepository(session)
        self.ratings = SqlRatingRepository(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        self._pending = {}
        if session is None:
            return
        try:
            await session.rollback()  # a no-op when everything was committed
        finally:
            await session.close()

    def record(self, *events: CaseEvent) -> None:
        self._collect(events)

    def _collect(self, events: Sequence[CaseEvent]) -> None:
        for event in events:
            self._pending.setdefault(event.id, event)

    async def commit(self) -> None:
        session = self.session
        pending = list(self._pending.values())
        stored: list[CaseEvent] = []
        if pending:
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                await session.execute(select(func.pg_advisory_xact_lock(EVENT_LOG_LOCK_KEY)))
            result = await session.execute(
                insert(case_events).returning(
                    case_events.c.id, case_events.c.sequence, sort_by_parameter_order=True
                ),
                [mappers.event_values(event) for event in pending],
            )
            sequences = {row.id: int(row.sequence) for row in result}
            stored = [dataclasses.replace(e, sequence=sequences[e.id]) for e in pending]
            # The outbox of outbound webhooks: the messages these events cause, same transaction.
            await enqueue_deliveries(session, stored)
        await session.commit()
        self._pending = {}
        self.committed_events.extend(stored)

    async def rollback(self) -> None:
        self._pending = {}
        await self.session.rollback()


class SqlUnitOfWorkFactory:
    """domain.ports.UnitOfWorkFactory: a new SqlUnitOfWork per call."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._session_factory)

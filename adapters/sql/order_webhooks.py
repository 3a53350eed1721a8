"""domain.ports.OrderWebhookInbox over SQL, inside the unit of work's session (transaction).

- `record_delivery`: INSERT ... ON CONFLICT DO NOTHING on the delivery id (the primary key).
  PostgreSQL makes a concurrent insert of the same key wait for the first transaction: if that
  commits, the second inserts nothing (a duplicate); if it rolls back, the second wins. SQLite:
  BEGIN IMMEDIATE serialises writers, so the second sees the first's row.
- `advance_order`: the order's row is read FOR UPDATE (created first if missing, racing inserts
  resolved by ON CONFLICT), then updated only when the new version is greater; the row lock
  orders concurrent events of one order until the transaction ends.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.tables_order_webhooks import order_versions, order_webhook_deliveries
from domain.order_events import OrderVersionAdvance, StoredDelivery
from domain.orders import OrderStatus


def _insert(session: AsyncSession, table: Any) -> Any:
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        return pg_dialect.insert(table)
    return sqlite_dialect.insert(table)


class SqlOrderWebhookInbox:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record_delivery(self, delivery: StoredDelivery) -> bool:
        stmt = (
            _insert(self._session, order_webhook_deliveries)
            .values(**dataclasses.asdict(delivery))  # one column per field
            .on_conflict_do_nothing(index_elements=["delivery_id"])
            .returning(order_webhook_deliveries.c.delivery_id)
        )
        return (await self._session.execute(stmt)).first() is not None

    async def stored_delivery(self, delivery_id: str) -> StoredDelivery | None:
        c = order_webhook_deliveries.c
        stmt = select(order_webhook_deliveries).where(c.delivery_id == delivery_id)
        row = (await self._session.execute(stmt)).mappings().first()
        if row is None:
            return None
        return StoredDelivery(**row)

    async def advance_order(
        self, order_id: str, *, version: int, status: OrderStatus, changed_at: datetime
    ) -> OrderVersionAdvance:
        current = await self._locked(order_id)
        if current is None:
            inserted = await self._session.execute(
                _insert(self._session, order_versions)
                .values(
                    order_id=order_id,
                    version=version,
                    status=status.value,
                    changed_at=changed_at,
                )
                .on_conflict_do_nothing(index_elements=["order_id"])
                .returning(order_versions.c.order_id)
            )
            if inserted.first() is not None:
                return OrderVersionAdvance(advanced=True, previous_status=None)
            current = await self._locked(order_id)  # a concurrent first event committed it
            assert current is not None
        stored_version, stored_status = current
        if version <= stored_version:
            return OrderVersionAdvance(advanced=False, previous_status=stored_status)
        await self._session.execute(
            update(order_versions)
            .where(order_versions.c.order_id == order_id)
            .values(version=version, status=status.value, changed_at=changed_at)
        )
        return OrderVersionAdvance(advanced=True, previous_status=stored_status)

    async def _locked(self, order_id: str) -> tuple[int, OrderStatus] | None:
        stmt = (
            select(order_versions.c.version, order_versions.c.status)
            .where(order_versions.c.order_id == order_id)
            .with_for_update()
        )
        row = (await self._session.execute(stmt)).first()
        return (int(row[0]), OrderStatus(row[1])) if row is not None else None

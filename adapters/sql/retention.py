"""The retention store over SQL (PostgreSQL and SQLite): bounded DELETEs, one short transaction
per kind and batch, so pruning never holds locks that requests wait on for long."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, delete, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sql.tables import refresh_tokens
from adapters.sql.tables_order_webhooks import order_webhook_deliveries
from adapters.sql.tables_outbound_webhooks import webhook_deliveries
from adapters.sql.tables_refund_execution import idempotency_keys
from domain.outbound_webhooks import WebhookDeliveryState
from domain.retention import PruneCounts, PruneCutoffs


class SqlRetentionStore:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def prune(self, cutoffs: PruneCutoffs, *, limit: int) -> PruneCounts:
        i, d, t = idempotency_keys.c, order_webhook_deliveries.c, refresh_tokens.c
        keys = tuple_(i.scope, i.operation, i.idempotency_key)
        ended = cutoffs.sessions_ended_before
        o = webhook_deliveries.c
        return PruneCounts(
            idempotency_keys=await self._delete(
                delete(idempotency_keys).where(
                    keys.in_(
                        select(i.scope, i.operation, i.idempotency_key)
                        .where(i.created_at < cutoffs.idempotency_keys_before)
                        .limit(limit)
                    )
                )
            ),
            webhook_deliveries=await self._delete(
                delete(order_webhook_deliveries).where(
                    d.delivery_id.in_(
                        select(d.delivery_id)
                        .where(d.received_at < cutoffs.webhook_deliveries_before)
                        .limit(limit)
                    )
                )
            ),
            refresh_tokens=await self._delete(
                delete(refresh_tokens).where(
                    t.id.in_(
                        select(t.id)
                        .where(or_(t.expires_at < ended, t.revoked_at < ended))
                        .limit(limit)
                    )
                )
            ),
            outbound_deliveries=await self._delete(
                delete(webhook_deliveries).where(
                    o.id.in_(
                        select(o.id)
                        .where(
                            o.created_at < cutoffs.outbound_deliveries_before,
                            o.state != WebhookDeliveryState.PENDING.value,
                        )
                        .limit(limit)
                    )
                )
            ),
        )

    async def _delete(self, statement: Any) -> int:
        async with self._session_factory() as session, session.begin():
            result: CursorResult[Any] = await session.execute(statement)  # type: ignore[assignment]
            return int(result.rowcount or 0)  # a DELETE's result is a cursor result

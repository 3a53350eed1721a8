"""Retention on SQLite and PostgreSQL: pruning removes exactly what has expired, in bounded
batches, and nothing else (a fresh database, so other tests' rows cannot blur the counts)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.db import create_engine, create_session_factory
from adapters.sql.migrate import upgrade_to_head
from adapters.sql.retention import SqlRetentionStore
from adapters.sql.tables import refresh_tokens
from adapters.sql.tables_order_webhooks import order_webhook_deliveries
from adapters.sql.tables_refund_execution import idempotency_keys
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.auth import RefreshToken
from domain.errors import ValidationFailed
from domain.idempotency import IdempotencyRecord
from domain.order_events import StoredDelivery
from domain.retention import PruneCounts, RetentionPolicy
from domain.usecases.prune import prune_expired

from .builders import T0, make_user, uid

NOW = T0 + timedelta(days=30)


class FixedClock:
    def now(self):  # type: ignore[no-untyped-def]
        return NOW


@pytest.fixture
async def fresh_engine(database_factory) -> AsyncIterator[AsyncEngine]:  # type: ignore[no-untyped-def]
    url = await database_factory()
    await upgrade_to_head(url)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


async def _count(engine: AsyncEngine, table) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_pruning_removes_exactly_what_has_expired(fresh_engine: AsyncEngine) -> None:
    sessions = create_session_factory(fresh_engine)
    uow_factory = SqlUnitOfWorkFactory(sessions)
    user = make_user()
    policy = RetentionPolicy()  # keys 48 h, deliveries 7 d, ended sessions 1 d

    def token(*, expires_in: timedelta, revoked_ago: timedelta | None = None) -> RefreshToken:
        return RefreshToken(
            id=uid(),
            family_id=uid(),
            user_id=user.id,
            token_hash=uid(),
            created_at=NOW - timedelta(days=20),
            expires_at=NOW + expires_in,
            revoked_at=NOW - revoked_ago if revoked_ago is not None else None,
        )

    async with uow_factory() as uow:
        await uow.users.add(user)
        for age_hours in (49, 72, 47, 1):  # two past 48 h, two within
            await uow.idempotency_keys.claim(
                IdempotencyRecord(
                    scope=user.id,
                    operation="requestRefund",
                    key=uid(),
                    fingerprint="f" * 64,
                    result_id=uid(),
                    created_at=NOW - timedelta(hours=age_hours),
                )
            )
        for age_days in (8, 30, 6):  # two past 7 days, one within
            await uow.order_webhooks.record_delivery(
                StoredDelivery(
                    uid(),
                    event_type="order.updated",
                    order_id=None,
                    received_at=NOW - timedelta(days=age_days),
                )
            )
        for t in (
            token(expires_in=-timedelta(days=2)),  # expired 2 days ago: gone
            token(expires_in=-timedelta(hours=2)),  # expired just now: kept a day
            token(expires_in=timedelta(days=5), revoked_ago=timedelta(days=3)),  # ended: gone
            token(expires_in=timedelta(days=5), revoked_ago=timedelta(hours=3)),  # kept a day
            token(expires_in=timedelta(days=5)),  # a live session: kept
        ):
            await uow.refresh_tokens.add(t)
        await uow.commit()

    store = SqlRetentionStore(sessions)
    counts = await prune_expired(store, policy, FixedClock(), batch=1)  # batches of one
    assert counts == PruneCounts(idempotency_keys=2, webhook_deliveries=2, refresh_tokens=2)
    assert await _count(fresh_engine, idempotency_keys) == 2
    assert await _count(fresh_engine, order_webhook_deliveries) == 1
    assert await _count(fresh_engine, refresh_tokens) == 3
    # Nothing left to do: a second pass removes nothing.
    assert await prune_expired(store, policy, FixedClock()) == PruneCounts()


def test_keys_are_kept_at_least_a_day() -> None:
    with pytest.raises(ValidationFailed, match="kept at least"):
        RetentionPolicy(idempotency_keys=timedelta(hours=23))

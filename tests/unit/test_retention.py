"""Retention over the in-process store: the same meaning as SQL (tests/integration/sql)."""

from __future__ import annotations

from datetime import timedelta

from adapters.memory.order_webhooks import StoredDelivery
from adapters.memory.retention import InMemoryRetentionStore
from adapters.memory.store import InMemoryStore
from domain.auth import RefreshToken
from domain.idempotency import IdempotencyRecord
from domain.retention import PruneCounts, RetentionPolicy
from domain.usecases.prune import prune_expired
from tests.unit.builders import World


async def test_pruning_in_memory_removes_exactly_what_has_expired(world: World) -> None:
    store: InMemoryStore = world.store
    now = world.clock.now()
    for n, hours in enumerate((49, 1)):
        store.idempotency_keys[("u", "op", str(n))] = IdempotencyRecord(
            "u", "op", str(n), "f" * 64, "r", now - timedelta(hours=hours)
        )
    for n, days in enumerate((8, 6)):
        store.order_webhook_deliveries[str(n)] = StoredDelivery(
            str(n), "order.updated", None, now - timedelta(days=days)
        )
    for n, (expires, revoked) in enumerate(
        (
            (-timedelta(days=2), None),
            (timedelta(days=3), timedelta(days=2)),
            (timedelta(days=3), None),
        )
    ):
        store.refresh_tokens[str(n)] = RefreshToken(
            str(n),
            "fam",
            "u",
            str(n),
            now - timedelta(days=9),
            now + expires,
            revoked_at=now - revoked if revoked else None,
        )
    counts = await prune_expired(InMemoryRetentionStore(store), RetentionPolicy(), world.clock)
    assert counts == PruneCounts(idempotency_keys=1, webhook_deliveries=1, refresh_tokens=2)
    assert list(store.idempotency_keys) == [("u", "op", "1")]
    assert list(store.order_webhook_deliveries) == ["1"]
    assert list(store.refresh_tokens) == ["2"]


async def test_the_scheduler_prunes_at_most_once_per_interval(world: World) -> None:
    from adapters.memory.sla import InMemorySlaBreachLog
    from app.scheduler import CaseScheduler

    store: InMemoryStore = world.store
    now = world.clock.now()
    scheduler = CaseScheduler(
        world.services,
        InMemorySlaBreachLog(store),
        retention=InMemoryRetentionStore(store),
        retention_interval_seconds=3600,
    )
    store.order_webhook_deliveries["old"] = StoredDelivery(
        "old", "t", None, now - timedelta(days=8)
    )
    await scheduler.run_once()
    assert store.order_webhook_deliveries == {}
    store.order_webhook_deliveries["old2"] = StoredDelivery(
        "old2", "t", None, now - timedelta(days=8)
    )
    await scheduler.run_once()  # within the interval: not yet
    assert list(store.order_webhook_deliveries) == ["old2"]

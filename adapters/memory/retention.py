"""The retention store over the in-process store (embedded tests), with the SQL one's meaning."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import TypeVar

from adapters.memory.store import InMemoryStore
from domain.retention import PruneCounts, PruneCutoffs

K = TypeVar("K")
V = TypeVar("V")


def _drop(table: MutableMapping[K, V], expired: Callable[[V], bool], limit: int) -> int:
    doomed = [key for key, value in table.items() if expired(value)][:limit]
    for key in doomed:
        del table[key]
    return len(doomed)


class InMemoryRetentionStore:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def prune(self, cutoffs: PruneCutoffs, *, limit: int) -> PruneCounts:
        s = self._store
        ended = cutoffs.sessions_ended_before
        return PruneCounts(
            idempotency_keys=_drop(
                s.idempotency_keys, lambda r: r.created_at < cutoffs.idempotency_keys_before, limit
            ),
            webhook_deliveries=_drop(
                s.order_webhook_deliveries,
                lambda d: d.received_at < cutoffs.webhook_deliveries_before,
                limit,
            ),
            refresh_tokens=_drop(
                s.refresh_tokens,
                lambda t: (
                    t.expires_at < ended or (t.revoked_at is not None and t.revoked_at < ended)
                ),
                limit,
            ),
            outbound_deliveries=0,  # outbound webhooks need the SQL storage (none kept here)
        )

"""The retention step of the scheduler: forget expired bookkeeping in bounded batches."""

from __future__ import annotations

from typing import Protocol

from domain.ports import Clock
from domain.retention import PruneCounts, PruneCutoffs, RetentionPolicy

DEFAULT_BATCH = 1000


class RetentionStore(Protocol):
    async def prune(self, cutoffs: PruneCutoffs, *, limit: int) -> PruneCounts:
        """Deletes at most `limit` records of each kind older than its cutoff; returns how many."""
        ...


async def prune_expired(
    store: RetentionStore, policy: RetentionPolicy, clock: Clock, *, batch: int = DEFAULT_BATCH
) -> PruneCounts:
    """Deletes everything past its retention, a batch at a time (short transactions), and says
    how much of each kind went."""
    cutoffs = policy.cutoffs(clock.now())
    total = PruneCounts()
    while True:
        counts = await store.prune(cutoffs, limit=batch)
        total += counts
        most = max(
            counts.idempotency_keys,
            counts.webhook_deliveries,
            counts.refresh_tokens,
            counts.outbound_deliveries,
        )
        if most < batch:
            return total

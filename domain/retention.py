"""What the service forgets, and when (retention).

Only bookkeeping is ever pruned: the receipts that make retries safe (idempotency keys, order
webhook delivery ids) once the window in which a retry can still come has passed, refresh
tokens of sessions that have ended (expired or revoked), and finished outbound webhook deliveries
(delivered or failed; a pending one is never pruned). Case timelines, messages and every money
record (refunds, jobs, the ledger) are never pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import ValidationFailed

MIN_IDEMPOTENCY_KEYS = timedelta(hours=24)  # as Stripe: a retry within a day is always safe
MIN_WEBHOOK_DELIVERIES = timedelta(days=1)
MIN_ENDED_SESSIONS = timedelta(0)
MIN_OUTBOUND_DELIVERIES = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    idempotency_keys: timedelta = timedelta(hours=48)
    webhook_deliveries: timedelta = timedelta(days=7)  # the replay window for order webhooks
    ended_sessions: timedelta = timedelta(days=1)  # tokens expired or revoked this long ago
    # Outbound webhook deliveries that finished (delivered or failed) and were queued this long ago.
    outbound_deliveries: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        for name, value, minimum in (
            ("idempotency_keys", self.idempotency_keys, MIN_IDEMPOTENCY_KEYS),
            ("webhook_deliveries", self.webhook_deliveries, MIN_WEBHOOK_DELIVERIES),
            ("ended_sessions", self.ended_sessions, MIN_ENDED_SESSIONS),
            ("outbound_deliveries", self.outbound_deliveries, MIN_OUTBOUND_DELIVERIES),
        ):
            if value < minimum:
                raise ValidationFailed.single(name, f"must be kept at least {minimum}")

    def cutoffs(self, now: datetime) -> PruneCutoffs:
        return PruneCutoffs(
            idempotency_keys_before=now - self.idempotency_keys,
            webhook_deliveries_before=now - self.webhook_deliveries,
            sessions_ended_before=now - self.ended_sessions,
            outbound_deliveries_before=now - self.outbound_deliveries,
        )


@dataclass(frozen=True, slots=True)
class PruneCutoffs:
    """Records older than these are forgotten."""

    idempotency_keys_before: datetime
    webhook_deliveries_before: datetime
    sessions_ended_before: datetime  # refresh tokens expired or revoked before this
    outbound_deliveries_before: datetime  # finished outbound deliveries queued before this


@dataclass(frozen=True, slots=True)
class PruneCounts:
    idempotency_keys: int = 0
    webhook_deliveries: int = 0
    refresh_tokens: int = 0
    outbound_deliveries: int = 0

    @property
    def total(self) -> int:
        return (
            self.idempotency_keys
            + self.webhook_deliveries
            + self.refresh_tokens
            + self.outbound_deliveries
        )

    def __add__(self, other: PruneCounts) -> PruneCounts:
        return PruneCounts(
            self.idempotency_keys + other.idempotency_keys,
            self.webhook_deliveries + other.webhook_deliveries,
            self.refresh_tokens + other.refresh_tokens,
            self.outbound_deliveries + other.outbound_deliveries,
        )

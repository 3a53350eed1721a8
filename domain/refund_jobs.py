"""Refund execution: the outbox job that carries an approved refund to the payment gateway.

One job per (refund, attempt). It is written in the same transaction as the decision that makes
the refund payable (an approval, or an agent's retry of a FAILED refund), so a decision is never
committed without its job, nor a job without its decision.

A worker claims a PENDING job with a lease (lease_owner, lease_until): while the lease runs, no
other worker claims it; once it has expired (the worker died), another one takes it over. The
gateway is called with the job's idempotency key `"{refund_id}:{attempt}"`, so a takeover, a
retry after a timeout, or two workers racing on an expired lease all ask for the same refund and
the gateway pays at most once. `attempt` only changes on an agent's retry of a FAILED refund
(a decline is stored against its key by the gateway: a new attempt needs a new key).

Job states: PENDING (waiting for `run_after`, or leased) -> DONE (the refund's outcome is
recorded) | DEAD (the gateway refused our request as invalid, or it stayed unknown for longer than
the gateway keeps idempotency keys: a human must look; the refund stays PROCESSING).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.money import Money
from domain.request_context import current_request_id

# The gateway keeps a key 24 h; retrying the same key after that could pay twice. Give up well
# before (the job goes DEAD and the refund stays PROCESSING, visible to agents).
DEFAULT_GIVE_UP_AFTER = timedelta(hours=20)
LAST_ERROR_MAX = 1000


class RefundJobStatus(enum.StrEnum):
    PENDING = "PENDING"
    DONE = "DONE"
    DEAD = "DEAD"


def idempotency_key(refund_id: str, attempt: int) -> str:
    """The payment gateway's idempotency key of one attempt of a refund."""
    return f"{refund_id}:{attempt}"


@dataclass(slots=True)
class RefundJob:
    refund_id: str
    attempt: int
    payment_reference: str
    amount: Money
    run_after: datetime
    created_at: datetime
    updated_at: datetime
    status: RefundJobStatus = RefundJobStatus.PENDING
    lease_owner: str | None = None
    lease_until: datetime | None = None
    claims: int = 0  # times a worker claimed it
    tries: int = 0  # gateway calls that ended with an unknown outcome (drives the backoff)
    first_claimed_at: datetime | None = None
    finished_at: datetime | None = None
    last_error: str | None = None
    # The request that made the refund payable (an approval, a retry): the worker logs the job
    # under this id, so the API's and the worker's lines of one refund share it.
    request_id: str | None = field(default_factory=current_request_id)

    @property
    def id(self) -> str:
        """Unique per (refund, attempt); also the gateway's idempotency key."""
        return idempotency_key(self.refund_id, self.attempt)

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.refund_id, self.attempt)

    def claimable(self, now: datetime) -> bool:
        return (
            self.status is RefundJobStatus.PENDING
            and self.run_after <= now
            and (self.lease_until is None or self.lease_until < now)
        )

    def leased_by(self, owner: str, now: datetime) -> bool:
        return (
            self.status is RefundJobStatus.PENDING
            and self.lease_owner == owner
            and self.lease_until is not None
            and self.lease_until >= now
        )

    @classmethod
    def first_attempt(
        cls, *, refund_id: str, payment_reference: str, amount: Money, now: datetime
    ) -> RefundJob:
        return cls.for_attempt(
            refund_id=refund_id,
            attempt=1,
            payment_reference=payment_reference,
            amount=amount,
            now=now,
        )

    @classmethod
    def for_attempt(
        cls,
        *,
        refund_id: str,
        attempt: int,
        payment_reference: str,
        amount: Money,
        now: datetime,
    ) -> RefundJob:
        if attempt < 1:
            raise ValueError("attempts are numbered from 1")
        if not payment_reference:
            raise ValueError("a refund job needs the payment reference of the order's charge")
        if amount.amount <= 0:
            raise ValueError("a refund job needs a positive amount")
        return cls(
            refund_id=refund_id,
            attempt=attempt,
            payment_reference=payment_reference,
            amount=amount,
            run_after=now,
            created_at=now,
            updated_at=now,
        )


@dataclass(frozen=True, slots=True)
class RefundQueueDepths:
    """How much refund work is waiting (metrics, the admins' queueDepths, `cli ops queues`).
    `pending` = `due` (claimable now) + `leased` (a worker has it) + scheduled later."""

    pending: int
    due: int
    leased: int
    dead: int
    done: int
    oldest_pending_created_at: datetime | None

    def oldest_pending_age_seconds(self, now: datetime) -> float:
        if self.oldest_pending_created_at is None:
            return 0.0
        return max(0.0, (now - self.oldest_pending_created_at).total_seconds())


@dataclass(frozen=True, slots=True)
class RefundExecutionPolicy:
    """How the worker paces itself (settings)."""

    lease: timedelta = timedelta(seconds=60)
    backoff_base: timedelta = timedelta(seconds=1)
    backoff_cap: timedelta = timedelta(minutes=5)
    give_up_after: timedelta = DEFAULT_GIVE_UP_AFTER

    def __post_init__(self) -> None:
        if self.lease <= timedelta(0):
            raise ValueError("the lease must be positive")
        if self.backoff_base <= timedelta(0) or self.backoff_cap < self.backoff_base:
            raise ValueError("backoff: 0 < base <= cap")


def backoff_delay(
    policy: RefundExecutionPolicy,
    tries: int,
    random_fraction: float,
    hint_seconds: float | None = None,
) -> timedelta:
    """Capped exponential backoff with jitter, before the next call after `tries` unknown outcomes.

    The ceiling doubles per try (base, 2 base, 4 base, ... up to cap); the delay is drawn from the
    upper half of it ("equal jitter": never hammering, never in lock step with other workers).
    The gateway's own hint (Retry-After) is honoured when longer, still within the cap."""
    if tries < 1:
        raise ValueError("tries counts the unknown outcomes so far (>= 1)")
    if not 0.0 <= random_fraction <= 1.0:
        raise ValueError("random_fraction must be in [0, 1]")
    base = policy.backoff_base.total_seconds()
    cap = policy.backoff_cap.total_seconds()
    ceiling = min(cap, base * 2 ** min(tries - 1, 62))
    delay = ceiling / 2 + random_fraction * ceiling / 2
    if hint_seconds is not None and hint_seconds > delay:
        delay = min(cap, hint_seconds)
    return timedelta(seconds=delay)


def truncate_error(message: str) -> str:
    return message if len(message) <= LAST_ERROR_MAX else message[: LAST_ERROR_MAX - 1] + "…"

"""The cost budget port: each caller spends points from a bucket that refills per second.

Pure values and a Protocol; what a point is worth (the cost of a GraphQL operation) is decided by
the delivery layer (app.graphql.cost), and the buckets live in an adapter (adapters.cost_budget:
in process, or in Redis shared by every instance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from domain.users import Principal


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    """A token bucket: at most `capacity` points, refilled by `refill_per_second`."""

    capacity: int
    refill_per_second: float

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError("capacity must be at least 1")
        if self.refill_per_second <= 0:
            raise ValueError("refill_per_second must be positive")


@dataclass(frozen=True, slots=True)
class BudgetSpend:
    """The outcome of one spend: allowed or not, and the bucket after it."""

    allowed: bool
    cost: int
    remaining: int  # whole points left after this spend (or untouched, when refused)
    limit: int  # the bucket's capacity
    reset_seconds: int  # until the bucket is full again (ceil)
    retry_after_seconds: int  # refused: until `cost` points are there (ceil); allowed: 0


def settle(tokens: float, cost: int, policy: BudgetPolicy) -> BudgetSpend:
    """Token-bucket arithmetic shared by the adapters: `tokens` is the refilled level now."""
    allowed = cost <= tokens
    left = tokens - cost if allowed else tokens
    rate = policy.refill_per_second
    return BudgetSpend(
        allowed=allowed,
        cost=cost,
        remaining=max(0, math.floor(left)),
        limit=policy.capacity,
        reset_seconds=max(0, math.ceil((policy.capacity - left) / rate)),
        retry_after_seconds=0 if allowed else max(1, math.ceil((cost - tokens) / rate)),
    )


def bucket_for(
    principal: Principal | None, client: str, *, customer: BudgetPolicy, staff: BudgetPolicy
) -> tuple[str, BudgetPolicy]:
    """Whose bucket a caller spends from, and its size: a logged-in user's own (staff: the
    larger one), else the client IP's (customer-sized; shared by everyone behind that IP)."""
    if principal is None:
        return f"ip:{client}", customer
    return f"user:{principal.user_id}", staff if principal.is_staff else customer


class CostBudget(Protocol):
    async def spend(self, key: str, cost: int, policy: BudgetPolicy) -> BudgetSpend:
        """Take `cost` points from `key`'s bucket if it holds that many (else take nothing)."""
        ...

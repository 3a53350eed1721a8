"""One contract for every CostBudget (domain.budget): the in-process token buckets and the Redis
Lua script (real server, TEST_REDIS_URL; skipped with the reason when unreachable, a failure in
CI). Time is controlled for the in-process one; Redis uses its own clock, so its refill is
checked with real (short) waits."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
import redis.asyncio
from redis.exceptions import RedisError

from adapters.cost_budget import InProcessCostBudget, RedisCostBudget
from domain.budget import BudgetPolicy, CostBudget, settle

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@dataclass
class Harness:
    budget: CostBudget
    advance: Callable[[float], Awaitable[None]]


class FakeTime:
    value = 1000.0

    def __call__(self) -> float:
        return self.value


async def _in_process() -> AsyncIterator[Harness]:
    fake = FakeTime()

    async def advance(seconds: float) -> None:
        fake.value += seconds

    yield Harness(InProcessCostBudget(time_func=fake), advance)


async def _redis() -> AsyncIterator[Harness]:
    client = redis.asyncio.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        pytest.skip(f"Redis at {REDIS_URL} is unreachable ({type(exc).__name__}: {exc})")
    prefix = f"test-cost:{uuid.uuid4().hex}:"
    try:
        yield Harness(RedisCostBudget(client, prefix=prefix), asyncio.sleep)
    finally:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture(params=["in-process", pytest.param("redis", marks=pytest.mark.redis)])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    factory = _in_process if request.param == "in-process" else _redis
    async for value in factory():
        yield value


POLICY = BudgetPolicy(capacity=100, refill_per_second=50.0)
# Slow refills where a real clock (Redis) must not change the outcome on a loaded machine.
SLOW = BudgetPolicy(capacity=100, refill_per_second=5.0)
REFILL = BudgetPolicy(capacity=100, refill_per_second=40.0)


async def test_a_new_caller_has_a_full_bucket(harness: Harness) -> None:
    spend = await harness.budget.spend("alice", 30, POLICY)
    assert spend.allowed and spend.cost == 30 and spend.limit == 100
    assert 70 <= spend.remaining <= 71
    assert spend.retry_after_seconds == 0
    assert spend.reset_seconds == 1  # 30 points at 50/s


async def test_a_cost_that_does_not_fit_is_refused_and_spends_nothing(harness: Harness) -> None:
    assert (await harness.budget.spend("bob", 90, SLOW)).allowed
    refused = await harness.budget.spend("bob", 50, SLOW)
    assert not refused.allowed
    assert 10 <= refused.remaining < 20  # untouched by the refusal
    assert 7 <= refused.retry_after_seconds <= 8  # 40 missing at 5/s
    small = await harness.budget.spend("bob", 5, SLOW)  # what is left can still be spent
    assert small.allowed


async def test_the_bucket_refills_per_second_up_to_its_capacity(harness: Harness) -> None:
    assert (await harness.budget.spend("carol", 100, REFILL)).allowed
    assert not (await harness.budget.spend("carol", 40, REFILL)).allowed  # needs 1 s
    await harness.advance(1.5)  # +60
    assert (await harness.budget.spend("carol", 40, REFILL)).allowed
    await harness.advance(2.5)  # would be +100: capped at 100
    full = await harness.budget.spend("carol", 0, REFILL)
    assert full.allowed and full.remaining == 100 and full.reset_seconds == 0


async def test_callers_and_policies_are_separate(harness: Harness) -> None:
    assert (await harness.budget.spend("dave", 100, POLICY)).allowed
    assert (await harness.budget.spend("erin", 100, POLICY)).allowed
    assert not (await harness.budget.spend("dave", 10, POLICY)).allowed


async def test_concurrent_spends_never_overdraw(harness: Harness) -> None:
    results = await asyncio.gather(*(harness.budget.spend("frank", 10, POLICY) for _ in range(30)))
    # 100 points (+ a little refill on a real clock): at most 10 or 11 of 30 fit.
    assert 10 <= sum(r.allowed for r in results) <= 11


def test_settle_rounds_for_headers() -> None:
    policy = BudgetPolicy(capacity=10, refill_per_second=3.0)
    spend = settle(4.5, 5, policy)
    assert not spend.allowed and spend.remaining == 4 and spend.retry_after_seconds == 1
    assert spend.reset_seconds == 2  # (10 - 4.5) / 3 = 1.83
    with pytest.raises(ValueError):
        BudgetPolicy(capacity=0, refill_per_second=1)

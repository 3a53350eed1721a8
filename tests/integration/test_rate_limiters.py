"""One contract for every RateLimiter: the in-process one and the Redis one (real server).

Redis: TEST_REDIS_URL (default redis://127.0.0.1:6379/15); each test uses its own key prefix and
deletes its keys. When Redis cannot be reached the Redis cases are skipped with the reason.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
import redis.asyncio
from redis.exceptions import RedisError

from adapters.rate_limit import InProcessRateLimiter, RedisRateLimiter
from domain.ports import RateLimiter
from tests.toolbox.services import REDIS_URL, redis_client


@dataclass
class Harness:
    limiter: InProcessRateLimiter | RedisRateLimiter
    advance: Callable[[float], Awaitable[None]]  # let this much time pass
    precise: bool  # whether retry-after can be checked exactly (controlled time)
    client: redis.asyncio.Redis | None = None
    prefix: str = ""


class FakeTime:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


async def _in_process() -> AsyncIterator[Harness]:
    fake = FakeTime()

    async def advance(seconds: float) -> None:
        fake.value += seconds

    yield Harness(InProcessRateLimiter(time_func=fake), advance, precise=True)


async def _redis() -> AsyncIterator[Harness]:
    client = await redis_client()
    prefix = f"test-rl:{uuid.uuid4().hex}:"

    async def advance(seconds: float) -> None:
        await asyncio.sleep(seconds)

    try:
        limiter = RedisRateLimiter(client, prefix=prefix)
        yield Harness(limiter, advance, precise=False, client=client, prefix=prefix)
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture(
    params=[
        pytest.param(_in_process, id="in-process"),
        pytest.param(_redis, id="redis", marks=pytest.mark.redis),
    ]
)
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    async for value in request.param():
        yield value


@pytest.fixture
async def redis_harness() -> AsyncIterator[Harness]:
    async for value in _redis():
        yield value


async def test_allows_limit_hits_then_refuses(harness: Harness) -> None:
    limiter = harness.limiter
    results = [
        await limiter.hit("login:a@example.com", limit=3, window_seconds=60) for _ in range(3)
    ]
    assert results == [None, None, None]

    for _ in range(3):
        retry_after = await limiter.hit("login:a@example.com", limit=3, window_seconds=60)
        assert retry_after is not None
        assert 0 < retry_after <= 60


async def test_limit_of_one(harness: Harness) -> None:
    assert await harness.limiter.hit("k", limit=1, window_seconds=30) is None
    retry_after = await harness.limiter.hit("k", limit=1, window_seconds=30)
    assert retry_after is not None and 0 < retry_after <= 30


async def test_keys_are_independent(harness: Harness) -> None:
    limiter = harness.limiter
    assert await limiter.hit("ip:1", limit=1, window_seconds=60) is None
    assert await limiter.hit("ip:1", limit=1, window_seconds=60) is not None

    assert await limiter.hit("ip:2", limit=1, window_seconds=60) is None
    assert await limiter.hit("ip:10", limit=1, window_seconds=60) is None
    assert await limiter.hit("IP:1", limit=1, window_seconds=60) is None


async def test_long_and_unusual_keys(harness: Harness) -> None:
    limiter = harness.limiter
    long_a, long_b = "a" * 10_000, "a" * 9_999 + "b"
    for key in (long_a, long_b, "", "ü✓ \n\x00*?[]"):
        assert await limiter.hit(key, limit=1, window_seconds=60) is None
        assert await limiter.hit(key, limit=1, window_seconds=60) is not None


async def test_window_expiry_allows_again(harness: Harness) -> None:
    limiter = harness.limiter
    assert await limiter.hit("k", limit=2, window_seconds=1) is None
    assert await limiter.hit("k", limit=2, window_seconds=1) is None
    assert await limiter.hit("k", limit=2, window_seconds=1) is not None
    assert await limiter.hit("k", limit=2, window_seconds=1) is not None  # refusals do not extend

    await harness.advance(1.1)

    assert await limiter.hit("k", limit=2, window_seconds=1) is None
    assert await limiter.hit("k", limit=2, window_seconds=1) is None
    assert await limiter.hit("k", limit=2, window_seconds=1) is not None


async def test_retry_after_counts_down(harness: Harness) -> None:
    limiter = harness.limiter
    assert await limiter.hit("k", limit=1, window_seconds=2) is None
    first = await limiter.hit("k", limit=1, window_seconds=2)
    await harness.advance(0.5)
    second = await limiter.hit("k", limit=1, window_seconds=2)

    assert first is not None and second is not None
    assert 0 < second < first <= 2
    if harness.precise:
        assert first == pytest.approx(2.0)
        assert second == pytest.approx(1.5)


async def test_concurrent_hits_allow_exactly_limit(harness: Harness) -> None:
    results = await asyncio.gather(
        *(harness.limiter.hit("burst", limit=7, window_seconds=60) for _ in range(50))
    )

    assert sum(result is None for result in results) == 7
    assert all(result > 0 for result in results if result is not None)


async def test_concurrent_hits_on_many_keys(harness: Harness) -> None:
    keys = [f"user:{n}" for n in range(5)]
    results = await asyncio.gather(
        *(harness.limiter.hit(key, limit=3, window_seconds=60) for key in keys for _ in range(10))
    )

    assert sum(result is None for result in results) == 5 * 3


@pytest.mark.parametrize("limit, window", [(0, 60), (-1, 60), (1, 0), (1, -5)])
async def test_invalid_arguments(harness: Harness, limit: int, window: int) -> None:
    with pytest.raises(ValueError):
        await harness.limiter.hit("k", limit=limit, window_seconds=window)


# --- implementation specifics ----------------------------------------------------------------


async def test_in_process_memory_is_bounded() -> None:
    fake = FakeTime()
    limiter = InProcessRateLimiter(time_func=fake, max_keys=10)

    for n in range(100):
        assert await limiter.hit(f"k{n}", limit=1, window_seconds=60) is None
    assert len(limiter) <= 10
    # the newest keys are kept
    assert await limiter.hit("k99", limit=1, window_seconds=60) is not None


async def test_in_process_prunes_ended_windows() -> None:
    fake = FakeTime()
    limiter = InProcessRateLimiter(time_func=fake, prune_interval=1.0)
    for n in range(1000):
        await limiter.hit(f"k{n}", limit=5, window_seconds=10)
    assert len(limiter) == 1000

    fake.value += 11
    await limiter.hit("another", limit=5, window_seconds=10)

    assert len(limiter) == 1


async def test_in_process_is_thread_safe() -> None:
    limiter = InProcessRateLimiter()

    def burst() -> list[float | None]:
        return [asyncio.run(limiter.hit("shared", limit=25, window_seconds=60)) for _ in range(20)]

    results = await asyncio.gather(*(asyncio.to_thread(burst) for _ in range(5)))

    assert sum(result is None for batch in results for result in batch) == 25


@pytest.mark.redis
async def test_redis_keys_always_expire(redis_harness: Harness) -> None:
    limiter, client = redis_harness.limiter, redis_harness.client
    assert client is not None
    await limiter.hit("k", limit=1, window_seconds=30)
    await limiter.hit("k", limit=1, window_seconds=30)

    keys = [key async for key in client.scan_iter(match=f"{redis_harness.prefix}*")]
    assert len(keys) == 1
    assert 0 < await client.pttl(keys[0]) <= 30_000


@pytest.mark.redis
async def test_redis_instances_share_counts(redis_harness: Harness) -> None:
    """Two processes = two clients on the same server: they share one window."""
    first = redis_harness.limiter
    other_client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        second = RedisRateLimiter(other_client, prefix=redis_harness.prefix)
        assert await first.hit("k", limit=2, window_seconds=60) is None
        assert await second.hit("k", limit=2, window_seconds=60) is None
        assert await first.hit("k", limit=2, window_seconds=60) is not None
        assert await second.hit("k", limit=2, window_seconds=60) is not None
    finally:
        await other_client.aclose()


@pytest.mark.redis
async def test_redis_errors_propagate() -> None:
    """Redis down: the caller sees a RedisError and decides (fail open or closed)."""
    client = redis.asyncio.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        with pytest.raises(RedisError):
            await RedisRateLimiter(client).hit("k", limit=1, window_seconds=60)
    finally:
        await client.aclose()


async def test_implements_the_port(harness: Harness) -> None:
    port: RateLimiter = harness.limiter  # checked by mypy
    assert await port.hit("port", limit=1, window_seconds=60) is None

"""One contract for both order caches: the in-process one and the Redis one (real server).

Redis: TEST_REDIS_URL (default redis://127.0.0.1:6379/15); each test uses its own key prefix and
deletes its keys afterwards. When Redis cannot be reached the Redis cases are skipped with the
reason (under CI=true a skip is a failure, see tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from adapters.clock import FixedClock
from adapters.order_system.cache import (
    CachedOrder,
    InProcessOrderCache,
    OrderCacheError,
    RedisOrderCache,
    version_at,
)
from adapters.order_system.codec import order_from_json
from adapters.order_system.simulator import make_order
from domain.orders import Order, OrderStatus
from tests.toolbox.network import free_port
from tests.toolbox.services import redis_client

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def an_order(order_id: str = "o-1", *, as_of: datetime = START, **changes: Any) -> Order:
    data = make_order(
        id=order_id,
        number=f"#{order_id}",
        customer_id="c-1",
        status="SHIPPED",
        placed_at=START - timedelta(days=3),
        lines=[("SKU-1", "Thing", 2, 1250)],
        shipping=300,
    )
    return order_from_json(data | changes, as_of)


@dataclass
class Harness:
    cache: InProcessOrderCache | RedisOrderCache
    clock: FixedClock
    redis: redis.asyncio.Redis | None = None
    prefix: str = ""


async def _in_process() -> AsyncIterator[Harness]:
    clock = FixedClock(START)
    yield Harness(InProcessOrderCache(max_entries=1000, clock=clock), clock)


async def _connect_redis(**options: Any) -> redis.asyncio.Redis:
    return await redis_client(**options)


async def _drop(client: redis.asyncio.Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)


async def _redis() -> AsyncIterator[Harness]:
    client = await _connect_redis()
    prefix = f"test-orders:{uuid.uuid4().hex}:"
    clock = FixedClock(START)
    try:
        yield Harness(RedisOrderCache(client, prefix=prefix, clock=clock), clock, client, prefix)
    finally:
        await _drop(client, prefix)
        await client.aclose()


@pytest.fixture(
    params=[
        pytest.param(_in_process, id="in-process"),
        pytest.param(_redis, id="redis", marks=pytest.mark.redis),
    ]
)
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    factory: Callable[[], AsyncIterator[Harness]] = request.param
    async for value in factory():
        yield value


# -- the contract ----------------------------------------------------------------------------


async def test_round_trip(harness: Harness) -> None:
    order = an_order("o-1", delivered_at=None)
    other = an_order("o-2", status="DELIVERED", delivered_at="2025-02-28T10:00:00.123456Z")
    written = await harness.cache.put_many([order, other], 60, versions={"o-1": 7, "o-2": 8})
    assert written == {"o-1", "o-2"}

    found = await harness.cache.get_many(["o-2", "o-1", "o-1", "missing"])
    assert set(found) == {"o-1", "o-2"}
    assert found["o-1"] == CachedOrder(order, 7, START + timedelta(seconds=60))
    assert found["o-2"].order == other and found["o-2"].version == 8
    assert found["o-2"].order.delivered_at == datetime(2025, 2, 28, 10, 0, 0, 123456, tzinfo=UTC)
    assert found["o-1"].order.as_of == START and found["o-1"].order.stale is False


async def test_unknown_and_empty(harness: Harness) -> None:
    assert await harness.cache.get_many([]) == {}
    assert await harness.cache.get_many(["nope", ""]) == {}
    assert await harness.cache.put_many([], 60) == set()
    await harness.cache.invalidate([])
    with pytest.raises(TypeError):
        await harness.cache.get_many("o-1")


async def test_fresh_then_kept_as_stale_fallback(harness: Harness) -> None:
    await harness.cache.put_many([an_order("o-1")], 60, keep_seconds=3600)
    first = (await harness.cache.get_many(["o-1"]))["o-1"]
    assert first.is_fresh(harness.clock.now())

    harness.clock.advance(seconds=61)
    later = (await harness.cache.get_many(["o-1"]))["o-1"]
    assert not later.is_fresh(harness.clock.now())
    assert later.order.as_of == START  # the cache never changes when it was read


async def test_a_stale_marked_order_is_stored_unmarked(harness: Harness) -> None:
    await harness.cache.put_many([replace(an_order("o-1"), stale=True)], 60)
    assert (await harness.cache.get_many(["o-1"]))["o-1"].order.stale is False


async def test_default_version_is_the_as_of(harness: Harness) -> None:
    read_at = START + timedelta(seconds=5, microseconds=42)
    await harness.cache.put_many([an_order("o-1", as_of=read_at)], 60)
    assert (await harness.cache.get_many(["o-1"]))["o-1"].version == version_at(read_at)


async def test_an_older_write_never_overwrites_a_newer_one(harness: Harness) -> None:
    newer = an_order("o-1", status="DELIVERED", delivered_at="2025-03-01T09:00:00Z")
    older = an_order("o-1")
    assert await harness.cache.put_many([newer], 60, versions={"o-1": 200}) == {"o-1"}
    assert await harness.cache.put_many([older], 60, versions={"o-1": 100}) == set()
    entry = (await harness.cache.get_many(["o-1"]))["o-1"]
    assert entry.version == 200 and entry.order.status is OrderStatus.DELIVERED


async def test_the_same_version_refreshes(harness: Harness) -> None:
    await harness.cache.put_many([an_order("o-1")], 60, versions={"o-1": 5})
    harness.clock.advance(seconds=100)
    again = an_order("o-1", as_of=harness.clock.now())
    assert await harness.cache.put_many([again], 60, versions={"o-1": 5}) == {"o-1"}
    entry = (await harness.cache.get_many(["o-1"]))["o-1"]
    assert entry.order.as_of == harness.clock.now() and entry.is_fresh(harness.clock.now())


@pytest.mark.parametrize("order", list(itertools.permutations([1, 2, 3])), ids=str)
async def test_every_order_of_three_writes_ends_at_the_newest(
    harness: Harness, order: tuple[int, int, int]
) -> None:
    statuses = {1: "PLACED", 2: "SHIPPED", 3: "DELIVERED"}
    for version in order:
        changes: dict[str, Any] = {"status": statuses[version]}
        if version == 3:
            changes["delivered_at"] = "2025-03-01T08:00:00Z"
        written = await harness.cache.put_many(
            [an_order("o-perm", **changes)], 60, versions={"o-perm": version}
        )
        newest_so_far = max(order[: order.index(version) + 1])
        assert written == ({"o-perm"} if version == newest_so_far else set())
    entry = (await harness.cache.get_many(["o-perm"]))["o-perm"]
    assert entry.version == 3 and entry.order.status is OrderStatus.DELIVERED


async def test_concurrent_writes_end_at_the_newest(harness: Harness) -> None:
    versions = list(range(1, 41))
    random.Random(7).shuffle(versions)
    await asyncio.gather(
        *(
            harness.cache.put_many(
                [an_order("o-race", number=f"#v{v}")], 60, versions={"o-race": v}
            )
            for v in versions
        )
    )
    entry = (await harness.cache.get_many(["o-race"]))["o-race"]
    assert entry.version == 40 and entry.order.number == "#v40"


async def test_invalidate_ends_freshness_keeps_the_copy_and_blocks_older_reads(
    harness: Harness,
) -> None:
    order = an_order("o-1")
    await harness.cache.put_many([order], 60, versions={"o-1": 100})
    await harness.cache.invalidate(["o-1"], version=150)

    entry = (await harness.cache.get_many(["o-1"]))["o-1"]
    assert not entry.is_fresh(harness.clock.now())
    assert entry.order == order and entry.version == 150  # still a stale fallback

    # a read that started before the change (version 120) cannot write its answer back...
    assert await harness.cache.put_many([order], 60, versions={"o-1": 120}) == set()
    # ...one that started after it can
    assert await harness.cache.put_many([order], 60, versions={"o-1": 151}) == {"o-1"}
    assert (await harness.cache.get_many(["o-1"]))["o-1"].is_fresh(harness.clock.now())


async def test_invalidate_never_lowers_a_version(harness: Harness) -> None:
    await harness.cache.put_many([an_order("o-1")], 60, versions={"o-1": 500})
    await harness.cache.invalidate(["o-1"], version=10)
    assert (await harness.cache.get_many(["o-1"]))["o-1"].version == 500


async def test_invalidate_of_an_uncached_order_leaves_a_tombstone(harness: Harness) -> None:
    await harness.cache.invalidate(["o-new"], version=300)
    assert await harness.cache.get_many(["o-new"]) == {}  # a tombstone is not an order
    assert await harness.cache.put_many([an_order("o-new")], 60, versions={"o-new": 299}) == set()
    assert await harness.cache.put_many([an_order("o-new")], 60, versions={"o-new": 300}) == {
        "o-new"
    }
    assert set(await harness.cache.get_many(["o-new"])) == {"o-new"}


async def test_invalidate_defaults_to_now(harness: Harness) -> None:
    await harness.cache.put_many([an_order("o-1")], 60, versions={"o-1": 1})
    await harness.cache.invalidate(["o-1"])
    assert (await harness.cache.get_many(["o-1"]))["o-1"].version == version_at(START)


async def test_arguments_are_checked(harness: Harness) -> None:
    with pytest.raises(ValueError, match="keep_seconds"):
        await harness.cache.put_many([an_order()], 60, keep_seconds=30)
    with pytest.raises(ValueError, match="ttl_seconds"):
        await harness.cache.put_many([an_order()], -1)
    with pytest.raises(ValueError, match="version"):
        await harness.cache.put_many([an_order()], 60, versions={"o-1": -1})
    with pytest.raises(ValueError, match="version"):
        await harness.cache.invalidate(["o-1"], version=10**20)


async def test_long_ids_are_cached(harness: Harness) -> None:
    long_id = "o-" + "x" * 300
    await harness.cache.put_many([an_order(long_id)], 60)
    assert set(await harness.cache.get_many([long_id])) == {long_id}


# -- in-process only -------------------------------------------------------------------------


async def test_in_process_entries_expire_after_keep_seconds() -> None:
    clock = FixedClock(START)
    cache = InProcessOrderCache(10, clock)
    await cache.put_many([an_order("o-1")], 60, keep_seconds=120)
    clock.advance(seconds=119)
    assert set(await cache.get_many(["o-1"])) == {"o-1"}
    clock.advance(seconds=1)
    assert await cache.get_many(["o-1"]) == {}
    assert len(cache) == 0


async def test_in_process_tombstones_expire() -> None:
    clock = FixedClock(START)
    cache = InProcessOrderCache(10, clock, tombstone_seconds=5)
    await cache.invalidate(["o-1"], version=500)
    clock.advance(seconds=5)
    assert await cache.put_many([an_order("o-1")], 60, versions={"o-1": 1}) == {"o-1"}


async def test_in_process_is_bounded_lru() -> None:
    cache = InProcessOrderCache(3, FixedClock(START))
    await cache.put_many([an_order(f"o-{n}") for n in range(3)], 60)
    await cache.get_many(["o-0"])  # o-0 becomes the most recently used
    await cache.put_many([an_order("o-3")], 60)
    assert len(cache) == 3
    assert set(await cache.get_many(["o-0", "o-1", "o-2", "o-3"])) == {"o-0", "o-2", "o-3"}


# -- Redis only ------------------------------------------------------------------------------


@pytest.fixture
async def redis_cache() -> AsyncIterator[Harness]:
    async for value in _redis():
        yield value


@pytest.mark.redis
async def test_redis_keys_expire_after_keep_seconds(redis_cache: Harness) -> None:
    client, cache = redis_cache.redis, redis_cache.cache
    assert client is not None and isinstance(cache, RedisOrderCache)
    await cache.put_many([an_order("o-1")], 60, keep_seconds=3600)
    ttl_ms = await client.pttl(cache.key("o-1"))
    assert 0 < ttl_ms <= 3_600_000
    await cache.invalidate(["o-1"])  # keeps the remaining lifetime
    assert 0 < await client.pttl(cache.key("o-1")) <= ttl_ms
    await cache.invalidate(["o-tomb"])
    assert 0 < await client.pttl(cache.key("o-tomb")) <= 600_000


@pytest.mark.redis
async def test_redis_undecodable_entries_are_ignored(redis_cache: Harness) -> None:
    client, cache = redis_cache.redis, redis_cache.cache
    assert client is not None and isinstance(cache, RedisOrderCache)
    await cache.put_many([an_order("o-good")], 60)
    garbage: dict[str, bytes | str] = {
        "o-short": b"123",
        "o-header": b"x" * 60,
        "o-json": f"{1:020d}|{0:020d}|{{not json".encode(),
        "o-shape": f"{1:020d}|{0:020d}|" + '{"as_of": "2025-01-01T00:00:00+00:00", "order": {}}',
        "o-bytes": b"\xff\xfe" * 30,
    }
    for order_id, value in garbage.items():
        await client.set(cache.key(order_id), value)
    found = await cache.get_many(["o-good", *garbage])
    assert set(found) == {"o-good"}
    # a corrupt entry does not block a good write (no version to respect): it is replaced
    assert await cache.put_many([an_order("o-header")], 60, versions={"o-header": 1}) == {
        "o-header"
    }


@pytest.mark.redis
async def test_redis_works_with_decoded_responses() -> None:
    client = await _connect_redis(decode_responses=True)
    prefix = f"test-orders:{uuid.uuid4().hex}:"
    try:
        cache = RedisOrderCache(client, prefix=prefix, clock=FixedClock(START))
        await cache.put_many([an_order("o-1")], 60)
        assert (await cache.get_many(["o-1"]))["o-1"].order == an_order("o-1")
    finally:
        await _drop(client, prefix)
        await client.aclose()


@pytest.mark.redis
async def test_redis_two_instances_share_entries(redis_cache: Harness) -> None:
    client, cache = redis_cache.redis, redis_cache.cache
    assert client is not None
    other = RedisOrderCache(client, prefix=redis_cache.prefix, clock=redis_cache.clock)
    await cache.put_many([an_order("o-1")], 60, versions={"o-1": 9})
    assert await other.put_many([an_order("o-1")], 60, versions={"o-1": 8}) == set()
    assert (await other.get_many(["o-1"]))["o-1"].version == 9


async def test_redis_unreachable_raises_order_cache_error() -> None:
    client = redis.asyncio.Redis(
        host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    cache = RedisOrderCache(client, clock=FixedClock(START))
    try:
        with pytest.raises(OrderCacheError, match="read failed"):
            await cache.get_many(["o-1"])
        with pytest.raises(OrderCacheError, match="write failed"):
            await cache.put_many([an_order("o-1")], 60)
        with pytest.raises(OrderCacheError, match="invalidate failed"):
            await cache.invalidate(["o-1"])
    finally:
        await client.aclose()

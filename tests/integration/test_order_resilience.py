"""ResilientOrderSystem over real HTTP with faults: the order-system simulator served by uvicorn on
127.0.0.1, the fault proxy (tests/faults) in front of it, the HttpOrderSystem (0.3 s timeout)
pointed at the proxy, wrapped by ResilientOrderSystem with an in-process cache (one test uses
Redis). Calls are counted at the simulator (`state.calls`) and at the proxy (connections and
chunks), so "served from the cache" and "failed fast" are proven, not timed.

Time that the code waits for by design (breaker cool-down, cache freshness) is moved with
injectable clocks; backoff waits are tiny. No assertion is about how long anything took.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import pytest_asyncio
import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from adapters.clock import FixedClock
from adapters.order_system.cache import (
    InProcessOrderCache,
    OrderCache,
    OrderCacheError,
    RedisOrderCache,
)
from adapters.order_system.codec import order_from_json
from adapters.order_system.http_client import HttpOrderSystem
from adapters.order_system.resilient import (
    BreakerState,
    CircuitBreaker,
    CircuitOpen,
    OrdersPartiallyUnavailable,
    ResilientOrderSystem,
)
from adapters.order_system.simulator import (
    ALICE_CUSTOMER_ID,
    CALL_BATCH,
    CALL_CUSTOMER_ORDERS,
    OrderSimulatorState,
    create_order_simulator,
    simulator_state,
)
from domain.errors import OrderSystemUnavailable
from domain.orders import Order, OrderPage, OrderStatus
from domain.ports import OrderSystem
from tests.faults.proxy import FaultProxy
from tests.toolbox.network import free_port, serve
from tests.toolbox.services import redis_client

ALICE_IDS = ["ord-alice-1", "ord-alice-2", "ord-alice-3", "ord-alice-4", "ord-alice-5"]
CLIENT_TIMEOUT = 0.3
GENEROUS_CLIENT_TIMEOUT = 5.0  # for the tests that count calls rather than time them
THRESHOLD = 3
COOL_DOWN = 30.0


def state_of(breaker: CircuitBreaker) -> BreakerState:
    """The breaker's state, read anew (keeps type checkers from narrowing it across calls)."""
    return breaker.state


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


class RecordingSleep:
    """Records the backoff waits and really sleeps them (they are a few ms at most)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(seconds)


@dataclass
class Upstream:
    state: OrderSimulatorState
    proxy: FaultProxy


@pytest_asyncio.fixture(scope="module")
async def upstream_server() -> AsyncIterator[Upstream]:
    app = create_order_simulator(today=datetime.now(UTC))
    async with serve(app) as url:
        port = int(url.rsplit(":", 1)[1])
        async with FaultProxy(port) as proxy:
            yield Upstream(simulator_state(app), proxy)


@pytest.fixture
def upstream(upstream_server: Upstream) -> Iterator[Upstream]:
    upstream_server.state.reset_counters()
    upstream_server.state.fail_status = None
    upstream_server.proxy.passthrough()
    upstream_server.proxy.reset_next(0)
    yield upstream_server
    upstream_server.proxy.passthrough()
    upstream_server.proxy.reset_next(0)


@dataclass
class Stack:
    upstream: Upstream
    http: HttpOrderSystem
    orders: ResilientOrderSystem
    clock: FixedClock
    monotonic: FakeMonotonic
    sleep: RecordingSleep
    cache: OrderCache
    extra: list[ResilientOrderSystem] = field(default_factory=list)

    @property
    def proxy(self) -> FaultProxy:
        return self.upstream.proxy

    @property
    def state(self) -> OrderSimulatorState:
        return self.upstream.state

    def network(self) -> tuple[int, int, int]:
        """(connections accepted, chunks received from clients, simulator requests)."""
        return (self.proxy.connections, self.proxy.client_chunks, sum(self.state.calls.values()))


class CountedHttpOrderSystem(HttpOrderSystem):
    """Counts the batch reads this instance sends upstream. The simulator counts every request
    it receives, and in the full suite it has received one that this test did not send."""

    batch_reads = 0

    async def get_orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        self.batch_reads += 1
        return await super().get_orders(order_ids)


def build(
    upstream: Upstream,
    *,
    cache: OrderCache | None = None,
    clock: FixedClock | None = None,
    retries: int = 2,
    deadline_seconds: float = 2.0,
    cache_timeout_seconds: float = 0.5,
    client_timeout: float = CLIENT_TIMEOUT,
) -> tuple[ResilientOrderSystem, CountedHttpOrderSystem, FixedClock, FakeMonotonic, RecordingSleep]:
    clock = clock or FixedClock()
    monotonic = FakeMonotonic()
    sleep = RecordingSleep()
    http = CountedHttpOrderSystem(upstream.proxy.url, timeout=client_timeout, clock=clock)
    orders = ResilientOrderSystem(
        http,
        cache if cache is not None else InProcessOrderCache(1000, clock),
        fresh_ttl_seconds=60,
        stale_ttl_seconds=86_400,
        retries=retries,
        backoff_base=0.01,
        backoff_max=0.05,
        deadline_seconds=deadline_seconds,
        cache_timeout_seconds=cache_timeout_seconds,
        breaker=CircuitBreaker(
            failure_threshold=THRESHOLD, reset_timeout_seconds=COOL_DOWN, time_func=monotonic
        ),
        clock=clock,
        sleep=sleep,
        rng=random.Random(1),
    )
    return orders, http, clock, monotonic, sleep


@pytest_asyncio.fixture
async def stack(upstream: Upstream) -> AsyncIterator[Stack]:
    clock = FixedClock()
    cache = InProcessOrderCache(1000, clock)
    orders, http, clock, monotonic, sleep = build(upstream, cache=cache, clock=clock)
    yield Stack(upstream, http, orders, clock, monotonic, sleep, cache)
    await http.aclose()
    await upstream.proxy.close_all()


# -- the happy path: cache and batching ------------------------------------------------------


async def test_fresh_hits_make_no_upstream_call(stack: Stack) -> None:
    first = await stack.orders.get_orders(ALICE_IDS)
    assert list(first) == ALICE_IDS and not any(o.stale for o in first.values())
    assert stack.state.calls[CALL_BATCH] == 1

    before = stack.network()
    stack.clock.advance(seconds=59)
    again = await stack.orders.get_orders(list(reversed(ALICE_IDS)))
    assert stack.network() == before  # no connection, no byte, no request
    assert {i: o.as_of for i, o in again.items()} == {i: o.as_of for i, o in first.items()}


async def test_misses_are_fetched_in_one_batch(stack: Stack) -> None:
    await stack.orders.get_orders(["ord-alice-1", "ord-alice-2"])
    stack.state.reset_counters()
    found = await stack.orders.get_orders([*ALICE_IDS, "ord-bob-1", "no-such-order"])
    assert set(found) == {*ALICE_IDS, "ord-bob-1"}  # unknown ids are simply absent
    assert stack.state.calls[CALL_BATCH] == 1
    assert stack.state.batch_sizes == [5]  # alice-3..5, bob-1 and the unknown one


async def test_expired_entries_are_read_again(stack: Stack) -> None:
    await stack.orders.get_orders(["ord-alice-3"])
    stack.state.update("ord-alice-3", status="DELIVERED", delivered_at="2025-03-01T10:00:00Z")
    assert (await stack.orders.get_orders(["ord-alice-3"]))["ord-alice-3"].status is (
        OrderStatus.SHIPPED
    )  # fresh for 60 s
    stack.clock.advance(seconds=61)
    refreshed = (await stack.orders.get_orders(["ord-alice-3"]))["ord-alice-3"]
    assert refreshed.status is OrderStatus.DELIVERED and refreshed.as_of == stack.clock.now()
    assert stack.state.calls[CALL_BATCH] == 2


async def test_invalidate_makes_the_next_read_ask_again(stack: Stack) -> None:
    await stack.orders.get_orders(["ord-alice-3"])
    stack.state.update("ord-alice-3", status="CANCELLED")
    stack.clock.advance(seconds=1)
    await stack.orders.invalidate(["ord-alice-3"])  # the webhook said so
    stack.clock.advance(seconds=1)
    order = (await stack.orders.get_orders(["ord-alice-3"]))["ord-alice-3"]
    assert order.status is OrderStatus.CANCELLED
    assert stack.state.calls[CALL_BATCH] == 2


async def test_fresh_reads_always_ask_and_refresh_the_cache(stack: Stack) -> None:
    await stack.orders.get_orders(["ord-alice-1"])
    stack.state.update("ord-alice-1", status="CANCELLED")
    fresh = await stack.orders.get_orders_fresh(["ord-alice-1", "ord-alice-1"])
    assert fresh["ord-alice-1"].status is OrderStatus.CANCELLED
    assert stack.state.calls[CALL_BATCH] == 2
    cached = await stack.orders.get_orders(["ord-alice-1"])  # served from the refreshed cache
    assert cached["ord-alice-1"].status is OrderStatus.CANCELLED
    assert stack.state.calls[CALL_BATCH] == 2
    stack.state.update("ord-alice-1", status="DELIVERED")


async def test_listing_goes_to_the_order_system_and_warms_the_cache(stack: Stack) -> None:
    page = await stack.orders.list_customer_orders(ALICE_CUSTOMER_ID, limit=3)
    assert len(page.orders) == 3 and page.next_cursor is not None
    assert stack.state.calls[CALL_CUSTOMER_ORDERS] == 1
    await stack.orders.get_orders([o.id for o in page.orders])
    assert stack.state.calls[CALL_BATCH] == 0  # the listing filled the cache

    stack.proxy.blackhole()
    with pytest.raises(OrderSystemUnavailable):
        await stack.orders.list_customer_orders(ALICE_CUSTOMER_ID, limit=3)
    stack.clock.advance(seconds=120)
    stale = await stack.orders.get_orders([o.id for o in page.orders])
    assert all(o.stale for o in stale.values()) and len(stale) == 3


# -- the order system down -------------------------------------------------------------------


async def test_blackhole_serves_stale_copies_and_refuses_fresh_reads(stack: Stack) -> None:
    first = await stack.orders.get_orders(ALICE_IDS)
    read_at = stack.clock.now()
    stack.clock.advance(minutes=10)  # no longer fresh
    stack.proxy.blackhole()

    served = await stack.orders.get_orders(ALICE_IDS)  # returns: that is the assertion
    assert list(served) == ALICE_IDS
    for order_id, order in served.items():
        assert order.stale is True and order.as_of == read_at
        assert order.total == first[order_id].total
    assert stack.state.calls[CALL_BATCH] == 1  # nothing reached the order system
    assert len(stack.sleep.delays) == 2  # two retries happened, within the deadline

    with pytest.raises(OrderSystemUnavailable) as info:
        await stack.orders.get_orders_fresh(["ord-alice-1"])
    assert not isinstance(info.value, OrdersPartiallyUnavailable)


async def test_only_ids_without_a_copy_are_unavailable(stack: Stack) -> None:
    await stack.orders.get_orders(["ord-alice-1"])
    stack.clock.advance(minutes=5)
    stack.proxy.reset()
    with pytest.raises(OrdersPartiallyUnavailable) as info:
        await stack.orders.get_orders(["ord-alice-1", "ord-bob-1"])
    assert isinstance(info.value, OrderSystemUnavailable)
    assert info.value.missing == ("ord-bob-1",)
    assert list(info.value.available) == ["ord-alice-1"]
    assert info.value.available["ord-alice-1"].stale is True


async def test_fresh_copies_are_served_while_down_without_asking(stack: Stack) -> None:
    await stack.orders.get_orders(["ord-alice-1"])
    stack.proxy.reset()
    before = stack.network()
    order = (await stack.orders.get_orders(["ord-alice-1"]))["ord-alice-1"]
    assert order.stale is False and stack.network() == before


async def test_the_deadline_bounds_a_call_to_a_blackhole() -> None:
    """Many retries, a short deadline: the call still returns (stale) and the breaker counts it."""
    app = create_order_simulator(today=datetime.now(UTC))
    async with serve(app) as url, FaultProxy(int(url.rsplit(":", 1)[1])) as proxy:
        upstream = Upstream(simulator_state(app), proxy)
        orders, http, clock, _, sleep = build(upstream, retries=50, deadline_seconds=0.5)
        try:
            await orders.get_orders(["ord-alice-1"])
            clock.advance(minutes=2)
            proxy.blackhole()
            served = await orders.get_orders(["ord-alice-1"])
            assert served["ord-alice-1"].stale is True
            assert len(sleep.delays) < 50  # the deadline, not the retry budget, ended it
            assert orders.breaker.consecutive_failures >= 1
        finally:
            await http.aclose()


async def test_reset_mode_fails_fast_and_falls_back(stack: Stack) -> None:
    await stack.orders.get_orders(["ord-alice-2"])
    stack.clock.advance(minutes=2)
    stack.proxy.reset()
    served = await stack.orders.get_orders(["ord-alice-2"])
    assert served["ord-alice-2"].stale is True
    with pytest.raises(OrderSystemUnavailable, match="network error|disconnected|circuit"):
        await stack.orders.get_orders_fresh(["ord-alice-2"])
    assert stack.state.calls[CALL_BATCH] == 1


async def test_latency_below_the_timeout_is_fine_above_it_is_down(stack: Stack) -> None:
    stack.proxy.latency(20)
    slow_but_fine = await stack.orders.get_orders_fresh(["ord-alice-1"])
    assert slow_but_fine["ord-alice-1"].stale is False

    stack.clock.advance(minutes=2)
    stack.proxy.latency(CLIENT_TIMEOUT * 1000 * 4)
    with pytest.raises(OrderSystemUnavailable, match="timed out|circuit"):
        await stack.orders.get_orders_fresh(["ord-alice-1"])
    served = await stack.orders.get_orders(["ord-alice-1"])
    assert served["ord-alice-1"].stale is True


async def test_a_transient_failure_is_retried(stack: Stack) -> None:
    stack.proxy.reset_next(1)  # the first connection is reset, the next one passes
    before = stack.proxy.connections
    found = await stack.orders.get_orders_fresh(["ord-alice-1"])
    assert set(found) == {"ord-alice-1"} and found["ord-alice-1"].stale is False
    assert stack.proxy.connections - before == 2
    assert stack.state.calls[CALL_BATCH] == 1  # the reset one never reached the order system
    assert len(stack.sleep.delays) == 1
    assert stack.orders.breaker.consecutive_failures == 0  # the success reset the count
    assert state_of(stack.orders.breaker) is BreakerState.CLOSED


# -- the circuit breaker ---------------------------------------------------------------------


async def test_breaker_opens_fails_fast_and_recovers(stack: Stack) -> None:
    await stack.orders.get_orders(["ord-alice-1"])
    stack.clock.advance(minutes=2)
    stack.proxy.reset()

    # 3 attempts (1 + 2 retries) = THRESHOLD consecutive failures: the circuit opens.
    with pytest.raises(OrderSystemUnavailable):
        await stack.orders.get_orders_fresh(["ord-alice-1"])
    assert state_of(stack.orders.breaker) is BreakerState.OPEN

    before = stack.network()
    for _ in range(5):
        with pytest.raises(CircuitOpen):
            await stack.orders.get_orders_fresh(["ord-alice-1"])
        served = await stack.orders.get_orders(["ord-alice-1"])
        assert served["ord-alice-1"].stale is True
    assert stack.network() == before  # open: not one connection, not one byte

    # The order system comes back; nothing is restarted. Before the cool-down: still open.
    stack.proxy.passthrough()
    stack.monotonic.advance(COOL_DOWN - 1)
    with pytest.raises(CircuitOpen):
        await stack.orders.get_orders_fresh(["ord-alice-1"])
    assert stack.network() == before

    stack.monotonic.advance(1)  # cool-down over: the next call is the trial
    fresh = await stack.orders.get_orders_fresh(["ord-alice-1"])
    assert fresh["ord-alice-1"].stale is False
    assert state_of(stack.orders.breaker) is BreakerState.CLOSED
    again = await stack.orders.get_orders(ALICE_IDS)
    assert not any(o.stale for o in again.values())


async def test_a_failed_trial_opens_the_circuit_again(stack: Stack) -> None:
    stack.proxy.reset()
    with pytest.raises(OrderSystemUnavailable):
        await stack.orders.get_orders_fresh(["ord-alice-1"])
    assert state_of(stack.orders.breaker) is BreakerState.OPEN
    stack.monotonic.advance(COOL_DOWN)
    connections = stack.proxy.connections
    with pytest.raises(OrderSystemUnavailable):
        await stack.orders.get_orders_fresh(["ord-alice-1"])
    assert stack.proxy.connections - connections == 1  # one trial, no retries while open
    assert state_of(stack.orders.breaker) is BreakerState.OPEN


async def test_breaker_failures_are_logged_with_the_reason(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    stack.proxy.reset()
    with caplog.at_level("INFO", logger="adapters.order_system.resilient"):
        with pytest.raises(OrderSystemUnavailable):
            await stack.orders.get_orders_fresh(["ord-alice-1"])
        stack.proxy.passthrough()
        stack.monotonic.advance(COOL_DOWN)
        await stack.orders.get_orders_fresh(["ord-alice-1"])
    messages = [r.getMessage() for r in caplog.records]
    failures = [m for m in messages if "failed (attempt" in m]
    assert len(failures) == 3 and all("/orders" in m for m in failures)
    transitions = [m for m in messages if m.startswith("circuit breaker")]
    assert [t.split(": ", 1)[1].split(" (")[0] for t in transitions] == [
        "closed -> open",
        "open -> half-open",
        "half-open -> closed",
    ]
    assert "3 consecutive failures" in transitions[0]


# -- shared cache and cache outages ----------------------------------------------------------


@pytest.mark.redis
async def test_another_instance_serves_stale_copies_from_redis(upstream: Upstream) -> None:
    client = await redis_client()
    prefix = f"test-resilient:{datetime.now(UTC).timestamp()}:"
    clock = FixedClock()
    # Generous deadlines: on a loaded machine the default 0.5 s can drop the first instance's
    # write, and 0.3 s a simulator answer (then retried: two calls); this test is about sharing
    # copies, not about the deadlines.
    first, http_1, *_ = build(
        upstream,
        cache=RedisOrderCache(client, prefix=prefix, clock=clock),
        clock=clock,
        cache_timeout_seconds=10.0,
        client_timeout=GENEROUS_CLIENT_TIMEOUT,
    )
    second, http_2, *_ = build(
        upstream,
        cache=RedisOrderCache(client, prefix=prefix, clock=clock),
        clock=clock,
        cache_timeout_seconds=10.0,
        client_timeout=GENEROUS_CLIENT_TIMEOUT,
    )
    try:
        warmed = await first.get_orders(["ord-alice-1", "ord-bob-1"])
        assert (await second.get_orders(["ord-alice-1"]))["ord-alice-1"] == warmed["ord-alice-1"]
        assert http_2.batch_reads == 0  # the second instance used the shared copy

        clock.advance(minutes=5)
        upstream.proxy.blackhole()
        served = await second.get_orders(["ord-alice-1", "ord-bob-1"])
        assert all(o.stale for o in served.values()) and set(served) == set(warmed)
        assert served["ord-bob-1"].as_of == warmed["ord-bob-1"].as_of
    finally:
        await http_1.aclose()
        await http_2.aclose()
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        await upstream.proxy.close_all()


async def test_reads_continue_when_redis_is_down(upstream: Upstream) -> None:
    # A Redis client with its default retries: the cache timeout bounds every cache call.
    dead = redis.asyncio.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2)
    quick = redis.asyncio.Redis(
        host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    for client in (dead, quick):
        # The generous client timeout: a simulator answer slowed by a loaded machine would be
        # retried, and this test counts the calls.
        orders, http, *_ = build(
            upstream, cache=RedisOrderCache(client), client_timeout=GENEROUS_CLIENT_TIMEOUT
        )
        try:
            for _ in range(2):
                asked = http.batch_reads
                found = await orders.get_orders(["ord-alice-1"])
                assert found["ord-alice-1"].stale is False
                assert http.batch_reads > asked  # no cache, so asked each time
            await orders.get_orders_fresh(["ord-alice-1"])
            with pytest.raises(OrderCacheError):  # a webhook must fail, to be delivered again
                await orders.invalidate(["ord-alice-1"])
        finally:
            await http.aclose()
            await client.aclose()


# -- the pieces on their own (no network) ----------------------------------------------------


@dataclass
class ScriptedOrderSystem:
    """An OrderSystem whose calls wait for `gate` and then fail or answer `orders`."""

    orders: dict[str, Order] = field(default_factory=dict)
    fail: bool = False
    gate: asyncio.Event | None = None
    calls: int = 0

    async def get_orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise OrderSystemUnavailable("scripted failure")
        return {i: self.orders[i] for i in order_ids if i in self.orders}

    async def list_customer_orders(
        self, customer_id: str, *, limit: int, cursor: str | None = None
    ) -> OrderPage:
        self.calls += 1
        if not 1 <= limit <= 100:
            raise ValueError("limit")
        raise OrderSystemUnavailable("scripted failure")


async def _an_order(clock: FixedClock, status: str = "SHIPPED") -> Order:
    app = create_order_simulator(today=clock.now())
    state = simulator_state(app)
    state.update("ord-alice-3", status=status)
    return order_from_json(state.get("ord-alice-3"), clock.now())


def _resilient(
    inner: OrderSystem, clock: FixedClock, **options: object
) -> tuple[ResilientOrderSystem, RecordingSleep, FakeMonotonic]:
    sleep = RecordingSleep()
    monotonic = FakeMonotonic()
    settings: dict[str, object] = {
        "retries": 2,
        "backoff_base": 0.001,
        "backoff_max": 0.004,
        "deadline_seconds": 2.0,
        "breaker": CircuitBreaker(failure_threshold=3, time_func=monotonic),
    } | options
    orders = ResilientOrderSystem(
        inner,
        InProcessOrderCache(100, clock),
        clock=clock,
        sleep=sleep,
        rng=random.Random(3),
        **settings,  # type: ignore[arg-type]
    )
    return orders, sleep, monotonic


async def test_backoff_is_exponential_with_full_jitter() -> None:
    clock = FixedClock()
    inner = ScriptedOrderSystem(fail=True)
    orders, sleep, _ = _resilient(
        inner,
        clock,
        retries=4,
        backoff_base=0.001,
        backoff_max=0.003,
        breaker=CircuitBreaker(failure_threshold=100),
    )
    with pytest.raises(OrderSystemUnavailable, match="scripted"):
        await orders.get_orders_fresh(["x"])
    assert inner.calls == 5 and len(sleep.delays) == 4
    for attempt, delay in enumerate(sleep.delays):
        assert 0 <= delay <= min(0.003, 0.001 * 2**attempt)


async def test_a_read_that_started_before_an_invalidation_cannot_write_back() -> None:
    clock = FixedClock()
    old = await _an_order(clock, "SHIPPED")
    inner = ScriptedOrderSystem(orders={old.id: old}, gate=asyncio.Event())
    orders, _, _ = _resilient(inner, clock)

    reading = asyncio.create_task(orders.get_orders([old.id]))  # version = now
    await asyncio.sleep(0)
    clock.advance(seconds=1)
    await orders.invalidate([old.id])  # the webhook: the order changed after the read began
    assert inner.gate is not None
    inner.gate.set()
    assert (await reading)[old.id].status is OrderStatus.SHIPPED  # the caller gets its answer
    # ...but the cache did not keep it: the next read asks again.
    await orders.get_orders([old.id])
    assert inner.calls == 2


async def test_cancellation_is_not_a_failure() -> None:
    clock = FixedClock()
    inner = ScriptedOrderSystem(gate=asyncio.Event())
    orders, _, _ = _resilient(inner, clock)
    for _ in range(5):
        task = asyncio.create_task(orders.get_orders_fresh(["x"]))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert orders.breaker.consecutive_failures == 0
    assert state_of(orders.breaker) is BreakerState.CLOSED


async def test_a_deadline_expiry_is_a_failure() -> None:
    clock = FixedClock()
    inner = ScriptedOrderSystem(gate=asyncio.Event())  # never set: hangs
    orders, _, _ = _resilient(inner, clock, deadline_seconds=0.05)
    with pytest.raises(OrderSystemUnavailable, match="deadline"):
        await orders.get_orders_fresh(["x"])
    assert orders.breaker.consecutive_failures == 1


async def test_bad_arguments_are_not_outages() -> None:
    clock = FixedClock()
    inner = ScriptedOrderSystem()
    orders, _, _ = _resilient(inner, clock)
    for _ in range(5):
        with pytest.raises(ValueError):
            await orders.list_customer_orders("c", limit=0)
    assert orders.breaker.consecutive_failures == 0
    with pytest.raises(TypeError):
        await orders.get_orders("ord-1")
    assert await orders.get_orders([]) == {} and inner.calls == 5


def test_half_open_lets_exactly_one_trial_through() -> None:
    monotonic = FakeMonotonic()
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout_seconds=10, time_func=monotonic)
    for _ in range(2):
        breaker.record_failure(breaker.acquire(), "boom")
    assert state_of(breaker) is BreakerState.OPEN
    with pytest.raises(CircuitOpen, match="circuit open"):
        breaker.acquire()
    monotonic.advance(10)
    trial = breaker.acquire()
    assert state_of(breaker) is BreakerState.HALF_OPEN
    with pytest.raises(CircuitOpen, match="trial call is in flight"):
        breaker.acquire()
    breaker.release(trial)  # abandoned: another trial may go
    trial = breaker.acquire()
    breaker.record_success(trial)
    assert state_of(breaker) is BreakerState.CLOSED and breaker.consecutive_failures == 0


def test_late_verdicts_of_an_older_state_are_ignored() -> None:
    monotonic = FakeMonotonic()
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout_seconds=10, time_func=monotonic)
    early = [breaker.acquire() for _ in range(3)]  # three calls in flight while closed
    breaker.record_failure(early[0], "a")
    breaker.record_failure(early[1], "b")
    assert state_of(breaker) is BreakerState.OPEN
    breaker.record_success(early[2])  # a late success does not close it
    assert state_of(breaker) is BreakerState.OPEN
    monotonic.advance(10)
    trial = breaker.acquire()
    breaker.record_failure(early[2], "late")  # nor does a late failure decide the trial
    assert state_of(breaker) is BreakerState.HALF_OPEN
    breaker.record_success(trial)
    assert state_of(breaker) is BreakerState.CLOSED


def test_a_stuck_trial_does_not_block_forever() -> None:
    monotonic = FakeMonotonic()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_seconds=10, time_func=monotonic)
    breaker.record_failure(breaker.acquire(), "boom")
    monotonic.advance(10)
    breaker.acquire()  # never reports
    monotonic.advance(10)
    breaker.record_success(breaker.acquire())
    assert state_of(breaker) is BreakerState.CLOSED


def test_configuration_is_checked() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)
    with pytest.raises(ValueError):
        CircuitBreaker(reset_timeout_seconds=0)
    inner = ScriptedOrderSystem()
    cache = InProcessOrderCache(1)
    for bad in (
        {"fresh_ttl_seconds": 100, "stale_ttl_seconds": 10},
        {"retries": -1},
        {"backoff_base": -1},
        {"deadline_seconds": 0},
    ):
        with pytest.raises(ValueError):
            ResilientOrderSystem(inner, cache, **bad)  # type: ignore[arg-type]


async def test_the_stack_implements_the_port() -> None:
    port: OrderSystem = ResilientOrderSystem(ScriptedOrderSystem(), InProcessOrderCache(1))
    assert await port.get_orders([]) == {}

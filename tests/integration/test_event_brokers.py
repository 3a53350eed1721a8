"""The EventBroker contract, run against the in-process broker and the Redis broker (two
"instances" sharing a Redis), plus what only the Redis one has: cross-instance delivery, one
pub/sub connection, resubscription and resync after a dropped connection, failures."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from adapters.fanout import FanoutSubscription
from adapters.memory import InMemoryEventPublisher
from adapters.redis_events import RedisEventBroker, decode_events, encode_events
from domain.events import CaseEvent, CaseEventType
from domain.live import EventScope, LiveUpdatesUnavailable, SubscriberTooSlow
from domain.ports import EventBroker
from tests.toolbox.polling import poll_until
from tests.toolbox.services import REDIS_URL, redis_or_skip

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
STAFF = EventScope(None, include_internal=True)


def event(n: int, case: str = "c1", *, internal: bool = False) -> CaseEvent:
    return CaseEvent(
        id=f"e{n}",
        case_id=case,
        type=CaseEventType.MESSAGE_POSTED,
        occurred_at=NOW,
        summary="Internal note added" if internal else "Message posted",
        actor_id="u1",
        internal=internal,
        message_id=f"m{n}",
        sequence=n,
    )


@dataclass
class Pair:
    """Where events are published, and where they are listened to (another instance for
    Redis; the same object in process)."""

    publisher: EventBroker
    listener: EventBroker
    kind: str


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def pair(request: pytest.FixtureRequest) -> AsyncIterator[Pair]:
    if request.param == "memory":
        broker = InMemoryEventPublisher(keep_history=False)
        yield Pair(broker, broker, "memory")
        return
    await redis_or_skip()
    prefix = f"test-events-{uuid.uuid4().hex[:8]}"
    a = RedisEventBroker(REDIS_URL, channel_prefix=prefix)
    b = RedisEventBroker(REDIS_URL, channel_prefix=prefix)
    try:
        yield Pair(a, b, "redis")
    finally:
        await a.aclose()
        await b.aclose()


async def next_events(subscription: FanoutSubscription, timeout: float = 5) -> list[CaseEvent]:  # noqa: ASYNC109
    """The events of the next wake-ups that carry any (skipping pure resyncs)."""
    async with asyncio.timeout(timeout):
        while True:
            wakeup = await subscription.next()
            if wakeup.events:
                return list(wakeup.events)


SENTINEL = event(99)  # public, case c1: every scope of these tests may see it


async def nothing_before_sentinel(
    publisher: EventBroker, *subscriptions: FanoutSubscription
) -> None:
    """Nothing more arrives: a sentinel published now is the next event of each subscription."""
    await publisher.publish([SENTINEL])
    for subscription in subscriptions:
        assert await next_events(subscription) == [SENTINEL]


# -- the contract -------------------------------------------------------------------------------


async def test_each_scope_receives_exactly_what_it_may_see(pair: Pair) -> None:
    customer_scope = EventScope("c1", include_internal=False)
    case_staff_scope = EventScope("c1", include_internal=True)
    async with (
        pair.listener.listen(STAFF, max_pending=10) as staff,
        pair.listener.listen(customer_scope, max_pending=10) as customer,
        pair.listener.listen(case_staff_scope, max_pending=10) as case_staff,
    ):
        await pair.publisher.publish([event(1), event(2, internal=True), event(3, "c2")])
        assert [e.sequence for e in await next_events(staff)] == [1, 2, 3]
        assert [e.sequence for e in await next_events(customer)] == [1]
        got = [e.sequence for e in await next_events(case_staff)]
        if len(got) < 2:  # public and internal events travel on two channels
            got += [e.sequence for e in await next_events(case_staff)]
        assert sorted(got) == [1, 2]
        await nothing_before_sentinel(pair.publisher, customer, case_staff)


async def test_events_survive_the_trip_unchanged(pair: Pair) -> None:
    async with pair.listener.listen(STAFF, max_pending=10) as staff:
        sent = [event(7), event(8, internal=True)]
        await pair.publisher.publish(sent)
        assert await next_events(staff) == sent


async def test_a_full_queue_drops_that_subscriber_only(pair: Pair) -> None:
    async with (
        pair.listener.listen(STAFF, max_pending=2) as slow,
        pair.listener.listen(STAFF, max_pending=100) as fast,
    ):
        for n in range(1, 6):
            await pair.publisher.publish([event(n)])
        received: list[int] = []
        while len(received) < 5:
            received += [e.sequence or 0 for e in await next_events(fast)]
        assert received == [1, 2, 3, 4, 5]
        with pytest.raises(SubscriberTooSlow):
            async with asyncio.timeout(5):
                while True:
                    await slow.next()


async def test_leaving_unsubscribes(pair: Pair) -> None:
    scope = EventScope(f"case-{uuid.uuid4().hex[:6]}", include_internal=False)
    async with pair.listener.listen(scope, max_pending=5) as subscription:
        await pair.publisher.publish([event(1, scope.case_id or "")])
        assert len(await next_events(subscription)) == 1
    assert pair.listener.fanout.subscriber_count == 0  # type: ignore[attr-defined]
    if isinstance(pair.listener, RedisEventBroker):
        channel = pair.listener.prefix + f"case:{scope.case_id}"
        redis = aioredis.from_url(REDIS_URL)
        try:
            await poll_until(
                lambda: redis.pubsub_numsub(channel), until=lambda n: n[0][1] == 0, deadline=5
            )
        finally:
            await redis.aclose()


async def test_publishing_nothing_is_fine(pair: Pair) -> None:
    async with pair.listener.listen(STAFF, max_pending=5) as staff:
        await pair.publisher.publish([])
        await nothing_before_sentinel(pair.publisher, staff)


# -- Redis only ---------------------------------------------------------------------------------


@pytest.fixture
async def prefix() -> str:
    await redis_or_skip()
    return f"test-events-{uuid.uuid4().hex[:8]}"


@pytest.mark.redis
async def test_one_pubsub_connection_for_many_subscribers_and_no_double_delivery(
    prefix: str,
) -> None:
    broker = RedisEventBroker(REDIS_URL, channel_prefix=prefix)
    redis = aioredis.from_url(REDIS_URL)
    try:
        async with broker.listen(STAFF, max_pending=10) as first:
            subs = [
                broker.listen(EventScope(f"c{i}", include_internal=True), max_pending=5)
                for i in range(20)
            ]
            entered = [await s.__aenter__() for s in subs]
            clients = await redis.client_list(_type="pubsub")
            ours = [c for c in clients if int(c.get("sub", 0)) >= 41]  # staff + 2 per case
            assert len(ours) == 1, clients
            # Own messages come back from Redis too: they must not be delivered twice.
            await broker.publish([event(1)])
            assert [e.sequence for e in await next_events(first)] == [1]
            await nothing_before_sentinel(broker, first)
            for s in subs:
                await s.__aexit__(None, None, None)
            assert entered
    finally:
        await broker.aclose()
        await redis.aclose()


@pytest.mark.redis
async def test_a_dropped_connection_resubscribes_and_resyncs(prefix: str) -> None:
    listener = RedisEventBroker(REDIS_URL, channel_prefix=prefix)
    publisher = RedisEventBroker(REDIS_URL, channel_prefix=prefix)
    try:
        async with listener.listen(STAFF, max_pending=10) as staff:
            await nothing_before_sentinel(publisher, staff)  # a fresh one has nothing pending
            connection = listener._pubsub.connection  # noqa: SLF001 - simulating a network cut
            assert connection is not None
            await connection.disconnect()
            async with asyncio.timeout(10):
                while True:  # a resync wake-up tells the subscriber to re-read the log
                    wakeup = await staff.next()
                    if wakeup.resync:
                        break
            await publisher.publish([event(5)])
            assert [e.sequence for e in await next_events(staff)] == [5]
    finally:
        await listener.aclose()
        await publisher.aclose()


@pytest.mark.redis
async def test_redis_down_publish_is_logged_and_listen_refused(prefix: str) -> None:
    broker = RedisEventBroker(
        "redis://127.0.0.1:1/0", channel_prefix=prefix, subscribe_timeout_seconds=1
    )
    try:
        # Local subscribers of a publishing process are served even without Redis...
        broker.fanout.add(local := FanoutSubscription(STAFF, 5))
        await broker.publish([event(1)])  # ...and the publisher never raises after commit
        assert broker.publish_failures == 1
        assert [e.sequence for e in await next_events(local)] == [1]
        with pytest.raises(LiveUpdatesUnavailable):
            async with broker.listen(STAFF, max_pending=5):
                pass
    finally:
        await broker.aclose()


@pytest.mark.redis
async def test_malformed_notifications_are_ignored(prefix: str) -> None:
    broker = RedisEventBroker(REDIS_URL, channel_prefix=prefix)
    redis = aioredis.from_url(REDIS_URL)
    try:
        async with broker.listen(STAFF, max_pending=5) as staff:
            await redis.publish(broker.prefix + "staff", b"not json")
            await redis.publish(broker.prefix + "staff", encode_events("elsewhere", [event(3)]))
            assert [e.sequence for e in await next_events(staff)] == [3]
    finally:
        await broker.aclose()
        await redis.aclose()


def test_wire_format_round_trip() -> None:
    events = [event(1), event(2, internal=True)]
    assert decode_events(encode_events("me", events)) == ("me", events)
    for bad in (b"{}", b"[]", b'{"o": 1, "e": []}', b'{"o": "x", "e": [[1]]}'):
        with pytest.raises(ValueError):
            decode_events(bad)

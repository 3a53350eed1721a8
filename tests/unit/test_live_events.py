"""Live case events in the domain: authorization, replay + live without gap or duplicate,
out-of-order notifications, internal events, slow subscribers (in-process broker, no I/O)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing, asynccontextmanager

import pytest

from adapters.fanout import FanoutSubscription, LocalFanout, event_channels, scope_channels
from adapters.memory import InMemoryEventPublisher
from domain.cases import CaseCategory, CaseStatus, SupportCase
from domain.errors import Forbidden, NotFound, ValidationFailed
from domain.events import CaseEvent, CaseEventType
from domain.live import EventScope, SubscriberTooSlow, Wakeup, parse_event_cursor
from domain.usecases.change_case_status import change_case_status
from domain.usecases.live_events import (
    CaseEventFeed,
    follow_case_events,
    open_case_event_feed,
)
from domain.usecases.open_case import OpenCase, open_case
from domain.usecases.post_message import post_message
from domain.users import Principal
from tests.unit.builders import NOW, World

E = CaseEventType


async def open_for(w: World, who: Principal, subject: str = "Damaged lamp") -> SupportCase:
    return await open_case(
        w.services,
        who,
        OpenCase(subject=subject, description="Broken.", category=CaseCategory.OTHER),
    )


async def take(stream: AsyncIterator[CaseEvent], count: int, timeout: float = 2) -> list[CaseEvent]:  # noqa: ASYNC109
    got: list[CaseEvent] = []
    async with asyncio.timeout(timeout):
        while len(got) < count:
            got.append(await anext(stream))
    return got


async def sentinel_is_next(stream: AsyncIterator[CaseEvent], w: World, case_id: str) -> None:
    """Nothing more arrives: the event of a message posted now (the sentinel) is the next one."""
    await post_message(w.services, w.agent, case_id, "sentinel")
    (event,) = await take(stream, 1)
    assert event.id == w.store.events[-1].id and event.summary == "Message posted", event


_open_streams: list[AsyncIterator[CaseEvent]] = []


@pytest.fixture(autouse=True)
async def close_streams() -> AsyncIterator[None]:
    """Streams are closed at the end of each test (unsubscribing them), as Strawberry does."""
    yield
    while _open_streams:
        await _open_streams.pop().aclose()  # type: ignore[attr-defined]


def tracked(stream: AsyncIterator[CaseEvent]) -> AsyncIterator[CaseEvent]:
    _open_streams.append(stream)
    return stream


def feed_stream(w: World, feed: CaseEventFeed, **kw: int) -> AsyncIterator[CaseEvent]:
    return tracked(follow_case_events(w.services, w.publisher, feed, **kw))


# -- authorization --------------------------------------------------------------------------


async def test_who_may_follow_what(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    staff_all = await open_case_event_feed(w.services, w.agent, case_id=None, after=None)
    assert staff_all.scope == EventScope(case_id=None, include_internal=True)
    mine = await open_case_event_feed(w.services, w.alice, case_id=case.id, after="3")
    assert mine.scope == EventScope(case_id=case.id, include_internal=False)
    assert mine.after_sequence == 3
    with pytest.raises(Forbidden):  # customers: one case of theirs, never every case
        await open_case_event_feed(w.services, w.alice, case_id=None, after=None)
    with pytest.raises(NotFound):  # someone else's case looks like no case at all
        await open_case_event_feed(w.services, w.bob, case_id=case.id, after=None)
    with pytest.raises(NotFound):
        await open_case_event_feed(w.services, w.bob, case_id="no-such-case", after=None)
    for bad in ("", "-1", "abc", "1.5", "9" * 19, "１２"):
        with pytest.raises(ValidationFailed):
            await open_case_event_feed(w.services, w.agent, case_id=None, after=bad)
    assert parse_event_cursor("0") == 0


def test_a_customer_feed_never_admits_internal_or_other_cases() -> None:
    from domain.users import Role

    alice = Principal("a", Role.CUSTOMER, "s")
    feed = CaseEventFeed(alice, EventScope("c1", include_internal=False), None)
    public = CaseEvent("e1", "c1", E.MESSAGE_POSTED, NOW, "Message posted", sequence=1)
    assert feed.may_see(public)
    assert not feed.may_see(dataclasses.replace(public, internal=True))
    assert not feed.may_see(dataclasses.replace(public, case_id="c2"))
    with pytest.raises(ValueError):
        EventScope(case_id=None, include_internal=False)


# -- replay and live ------------------------------------------------------------------------


async def test_replay_after_a_cursor_then_live_without_gap_or_duplicate(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    await post_message(w.services, w.alice, case.id, "one")
    await post_message(w.services, w.agent, case.id, "two")
    first = w.store.events[0].sequence
    assert first is not None
    feed = await open_case_event_feed(w.services, w.agent, case_id=case.id, after=str(first))
    stream = feed_stream(w, feed)
    replayed = await take(stream, 2)
    assert [e.sequence for e in replayed] == [first + 1, first + 2]
    await post_message(w.services, w.alice, case.id, "three")
    live = await take(stream, 1)
    assert live[0].sequence == first + 3
    await sentinel_is_next(stream, w, case.id)
    await stream.aclose()  # type: ignore[attr-defined]
    assert w.publisher.fanout.subscriber_count == 0  # unsubscribed when closed


async def test_without_a_cursor_it_starts_at_the_head(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    feed = await open_case_event_feed(w.services, w.agent, case_id=None, after=None)
    stream = feed_stream(w, feed)
    waiter = asyncio.ensure_future(take(stream, 1))
    await asyncio.sleep(0.01)
    assert w.publisher.fanout.subscriber_count == 1  # subscribed before the head was read
    await post_message(w.services, w.alice, case.id, "new")
    (event,) = await waiter
    assert event.type is E.MESSAGE_POSTED and event.sequence == w.store.last_sequence


async def test_customers_never_receive_internal_events(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    other = await open_for(w, w.alice, "another case")
    feed = await open_case_event_feed(w.services, w.alice, case_id=case.id, after="0")
    stream = feed_stream(w, feed)
    assert [e.type for e in await take(stream, 1)] == [E.CASE_OPENED]
    await post_message(w.services, w.agent, case.id, "internal note", internal=True)
    await post_message(w.services, w.agent, other.id, "elsewhere")
    await post_message(w.services, w.agent, case.id, "public reply")
    await change_case_status(w.services, w.agent, case.id, CaseStatus.IN_PROGRESS)
    got = await take(stream, 2)
    assert [e.type for e in got] == [E.MESSAGE_POSTED, E.STATUS_CHANGED]
    assert not any(e.internal for e in got) and {e.case_id for e in got} == {case.id}
    await sentinel_is_next(stream, w, case.id)
    # Control: staff following the case get the note.
    staff = await open_case_event_feed(w.services, w.agent, case_id=case.id, after="0")
    staff_events = await take(feed_stream(w, staff), 4)
    assert [e.internal for e in staff_events] == [False, True, False, False]


class ScriptedBroker:
    """A broker whose notifications the test hands out, in any order."""

    def __init__(self) -> None:
        self.subscription = FanoutSubscription(EventScope(None, include_internal=True), 100)
        self.listening = asyncio.Event()

    async def publish(self, events: Sequence[CaseEvent]) -> None:
        pass

    @asynccontextmanager
    async def listen(
        self, scope: EventScope, *, max_pending: int
    ) -> AsyncIterator[FanoutSubscription]:
        self.listening.set()
        yield self.subscription


async def scripted_stream(
    w: World, count: int
) -> tuple[ScriptedBroker, AsyncIterator[CaseEvent], asyncio.Future[list[CaseEvent]]]:
    """A staff feed of every case on a ScriptedBroker, already waiting for `count` events."""
    broker = ScriptedBroker()
    feed = await open_case_event_feed(w.services, w.agent, case_id=None, after=None)
    stream = tracked(follow_case_events(w.services, broker, feed))
    waiter = asyncio.ensure_future(take(stream, count))
    await broker.listening.wait()
    await asyncio.sleep(0.01)
    return broker, stream, waiter


async def test_out_of_order_notifications_are_reordered_from_the_log(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    broker, stream, waiter = await scripted_stream(w, 3)
    for body in ("a", "b", "c"):
        await post_message(w.services, w.alice, case.id, body)
    e1, e2, e3 = w.store.events[-3:]
    broker.subscription.offer([e3])  # the newest arrives first (another instance was faster)
    got = await waiter
    assert [e.id for e in got] == [e1.id, e2.id, e3.id]  # read from the log, in order
    broker.subscription.offer([e1])
    broker.subscription.offer([e2, e3])  # late duplicates are skipped
    await post_message(w.services, w.alice, case.id, "sentinel")
    sentinel = w.store.events[-1]
    broker.subscription.offer([sentinel])
    assert [e.id for e in await take(stream, 1)] == [sentinel.id]  # the next one: no duplicate


async def test_a_contiguous_run_is_delivered_without_reading_the_log(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    broker, stream, waiter = await scripted_stream(w, 1)
    head = w.store.last_sequence
    # Not in the log: only the payload can supply it, proving the log was not read.
    phantom = CaseEvent("phantom", case.id, E.MESSAGE_POSTED, NOW, "x", sequence=head + 1)
    broker.subscription.offer([phantom])
    assert [e.id for e in await waiter] == ["phantom"]


async def test_a_resync_rereads_the_log(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    broker, stream, waiter = await scripted_stream(w, 1)
    await post_message(w.services, w.alice, case.id, "lost notification")
    broker.subscription.request_resync()
    (event,) = await waiter
    assert event.id == w.store.events[-1].id


async def test_a_subscriber_that_falls_behind_is_dropped_not_the_others(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    slow_feed = await open_case_event_feed(w.services, w.agent, case_id=None, after=None)
    fast_feed = await open_case_event_feed(w.services, w.sam, case_id=None, after=None)
    async with (
        aclosing(feed_stream(w, slow_feed, max_pending=2)) as slow,
        aclosing(feed_stream(w, fast_feed, max_pending=100)) as fast,
    ):
        slow_first = asyncio.ensure_future(take(slow, 1))
        fast_first = asyncio.ensure_future(take(fast, 1))
        await asyncio.sleep(0.01)
        await post_message(w.services, w.alice, case.id, "first")
        await slow_first
        await fast_first
        for n in range(4):  # the slow one does not read any more
            await post_message(w.services, w.alice, case.id, f"m{n}")
        assert len(await take(fast, 4)) == 4
        with pytest.raises(SubscriberTooSlow):
            await take(slow, 1)
    assert w.publisher.fanout.dropped_total == 1
    assert w.publisher.fanout.subscriber_count == 0


# -- the in-process fan-out -----------------------------------------------------------------


def event(n: int, case: str = "c1", *, internal: bool = False) -> CaseEvent:
    return CaseEvent(f"e{n}", case, E.MESSAGE_POSTED, NOW, "m", internal=internal, sequence=n)


def test_channels_route_internal_events_only_to_staff() -> None:
    assert event_channels(event(1)) == ("staff", "case:c1")
    assert event_channels(event(2, internal=True)) == ("staff", "case:c1:staff")
    assert scope_channels(EventScope("c1", include_internal=False)) == ("case:c1",)
    assert scope_channels(EventScope("c1", include_internal=True)) == ("case:c1", "case:c1:staff")
    assert scope_channels(EventScope(None, include_internal=True)) == ("staff",)


async def test_fanout_bounded_queues_and_channel_bookkeeping() -> None:
    used: list[str] = []
    emptied: list[str] = []
    fanout = LocalFanout(on_channel_used=used.append, on_channel_empty=emptied.append)
    customer = FanoutSubscription(EventScope("c1", include_internal=False), 2)
    staff = FanoutSubscription(EventScope(None, include_internal=True), 10)
    fanout.add(customer)
    fanout.add(staff)
    assert sorted(used) == ["case:c1", "staff"]
    fanout.publish([event(1), event(2, internal=True), event(3, "c2")])
    assert await customer.next() == Wakeup((event(1),))
    wake = await staff.next()
    assert [e.sequence for e in wake.events] == [1, 2, 3]
    fanout.publish([event(4)])
    fanout.publish([event(5)])
    fanout.publish([event(6)])  # the customer's third pending notification: dropped
    assert customer.dropped and fanout.dropped_total == 1
    with pytest.raises(SubscriberTooSlow):
        await customer.next()
    assert emptied == ["case:c1"]
    assert [e.sequence for e in (await staff.next()).events] == [4, 5, 6]
    fanout.remove(staff)
    assert sorted(emptied) == ["case:c1", "staff"] and fanout.subscriber_count == 0


async def test_in_memory_publisher_keeps_no_history_when_asked() -> None:
    publisher = InMemoryEventPublisher(keep_history=False)
    async with publisher.listen(EventScope(None, include_internal=True), max_pending=5) as sub:
        await publisher.publish([event(1)])
        assert (await sub.next()).events == (event(1),)
    assert publisher.published == [] and publisher.events == []
    keeping = InMemoryEventPublisher()
    await keeping.publish([event(1)])
    assert keeping.published == [[event(1)]]

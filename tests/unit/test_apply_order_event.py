"""apply_order_event with the in-process adapters: exactly one effect per delivery id, newer state
never overwritten by older events, the cache told before anything is stored."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from datetime import datetime, timedelta

import pytest

from domain.cases import CaseCategory
from domain.events import CaseEventType
from domain.order_events import OrderEvent, OrderEventOutcome, OrderEventType, order_version
from domain.orders import Order, OrderStatus
from domain.usecases.apply_order_event import apply_order_event
from domain.usecases.open_case import OpenCase, open_case
from tests.unit.builders import NOW, ORDER_120, ORDER_SHIPPED, World


async def open_about(world: World, order_id: str, subject: str = "Where is it?") -> str:
    case = await open_case(
        world.services,
        world.alice,
        OpenCase(subject, "Please help", CaseCategory.DELIVERY_PROBLEM, order_id=order_id),
    )
    return case.id


def event(
    world: World,
    order_id: str,
    status: OrderStatus,
    *,
    at: datetime,
    delivery_id: str,
) -> OrderEvent:
    order: Order = dataclasses.replace(world.orders.orders[order_id], status=status)
    kind = {
        OrderStatus.DELIVERED: OrderEventType.DELIVERED,
        OrderStatus.CANCELLED: OrderEventType.CANCELLED,
    }.get(status, OrderEventType.UPDATED)
    return OrderEvent(delivery_id=delivery_id, type=kind, order=order, changed_at=at)


def order_events(world: World, case_id: str) -> list:
    return [
        e
        for e in world.store.events
        if e.case_id == case_id and e.type is CaseEventType.ORDER_UPDATED
    ]


async def test_an_event_reaches_the_timeline_of_every_case_about_the_order(world: World) -> None:
    first = await open_about(world, ORDER_SHIPPED)
    second = await open_about(world, ORDER_SHIPPED, "Still waiting")
    other = await open_about(world, ORDER_120)
    world.publisher.clear()
    at = NOW - timedelta(seconds=5)

    result = await apply_order_event(
        world.services,
        world.orders,
        event(world, ORDER_SHIPPED, OrderStatus.DELIVERED, at=at, delivery_id="msg_1"),
    )

    assert result.outcome is OrderEventOutcome.APPLIED
    assert set(result.case_ids) == {first, second}
    for case_id in (first, second):
        [entry] = order_events(world, case_id)
        assert entry.summary == f"Order {world.orders.orders[ORDER_SHIPPED].number} was delivered"
        assert (entry.before, entry.after) == (None, "DELIVERED")
        assert entry.actor_id is None
        assert entry.internal is False  # customers see it
    assert order_events(world, other) == []
    # Published after commit (the publisher checks it against the committed log).
    assert {e.case_id for e in world.publisher.events} == {first, second}
    # The cache was told, with the later of "changed" and "received".
    assert world.orders.changes == [([ORDER_SHIPPED], NOW)]
    stored = world.store.order_versions[ORDER_SHIPPED]
    assert (stored.version, stored.status) == (order_version(at), OrderStatus.DELIVERED)


async def test_a_duplicate_delivery_has_no_second_effect(world: World) -> None:
    case_id = await open_about(world, ORDER_SHIPPED)
    delivered = event(world, ORDER_SHIPPED, OrderStatus.DELIVERED, at=NOW, delivery_id="msg_d")
    assert (await apply_order_event(world.services, world.orders, delivered)).outcome is (
        OrderEventOutcome.APPLIED
    )
    log_size, commits = len(world.store.events), world.store.commits

    for _ in range(10):
        again = await apply_order_event(world.services, world.orders, delivered)
        assert again.outcome is OrderEventOutcome.DUPLICATE

    assert len(world.store.events) == log_size
    assert world.store.commits == commits  # nothing was written at all
    assert len(order_events(world, case_id)) == 1


async def test_concurrent_duplicates_have_one_effect(world: World) -> None:
    world.orders.latency = 0.001  # interleave
    case_id = await open_about(world, ORDER_SHIPPED)
    delivered = event(world, ORDER_SHIPPED, OrderStatus.DELIVERED, at=NOW, delivery_id="msg_c")

    results = await asyncio.gather(
        *(apply_order_event(world.services, world.orders, delivered) for _ in range(10))
    )

    outcomes = sorted(r.outcome.value for r in results)
    assert outcomes == ["applied"] + ["duplicate"] * 9
    assert len(order_events(world, case_id)) == 1


async def test_an_older_event_never_overwrites_a_newer_one(world: World) -> None:
    case_id = await open_about(world, ORDER_SHIPPED)
    newer = event(world, ORDER_SHIPPED, OrderStatus.CANCELLED, at=NOW, delivery_id="msg_new")
    older = event(
        world, ORDER_SHIPPED, OrderStatus.DELIVERED, at=NOW - timedelta(minutes=1), delivery_id="o"
    )
    assert (await apply_order_event(world.services, world.orders, newer)).outcome.value == (
        "applied"
    )

    late = await apply_order_event(world.services, world.orders, older)

    assert late.outcome is OrderEventOutcome.OUTDATED
    assert world.store.order_versions[ORDER_SHIPPED].status is OrderStatus.CANCELLED
    assert [e.after for e in order_events(world, case_id)] == ["CANCELLED"]
    assert "o" in world.store.order_webhook_deliveries  # remembered: a redelivery is a duplicate
    assert (await apply_order_event(world.services, world.orders, older)).outcome is (
        OrderEventOutcome.DUPLICATE
    )


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
async def test_every_arrival_order_ends_in_the_newest_state(
    world: World, order: tuple[int, ...]
) -> None:
    case_id = await open_about(world, ORDER_SHIPPED)
    base = NOW - timedelta(minutes=10)
    sequence = [
        event(world, ORDER_SHIPPED, OrderStatus.SHIPPED, at=base, delivery_id="e0"),
        event(
            world,
            ORDER_SHIPPED,
            OrderStatus.DELIVERED,
            at=base + timedelta(minutes=1),
            delivery_id="e1",
        ),
        event(
            world,
            ORDER_SHIPPED,
            OrderStatus.CANCELLED,
            at=base + timedelta(minutes=2),
            delivery_id="e2",
        ),
    ]

    for index in order:
        await apply_order_event(world.services, world.orders, sequence[index])

    stored = world.store.order_versions[ORDER_SHIPPED]
    assert (stored.status, stored.version) == (OrderStatus.CANCELLED, sequence[2].version)
    entries = order_events(world, case_id)
    assert entries[-1].after == "CANCELLED"
    # Only events newer than everything before them made an entry, so the timeline never goes
    # back in time.
    rank = {"SHIPPED": 0, "DELIVERED": 1, "CANCELLED": 2}
    assert [rank[e.after] for e in entries] == sorted(rank[e.after] for e in entries)
    assert len(world.store.order_webhook_deliveries) == 3


async def test_the_status_before_is_recorded(world: World) -> None:
    case_id = await open_about(world, ORDER_SHIPPED)
    base = NOW - timedelta(minutes=1)
    for n, (status, at) in enumerate(
        [
            (OrderStatus.SHIPPED, base),
            (OrderStatus.SHIPPED, NOW),
            (OrderStatus.DELIVERED, NOW + timedelta(seconds=1)),
        ]
    ):
        await apply_order_event(
            world.services,
            world.orders,
            event(world, ORDER_SHIPPED, status, at=at, delivery_id=f"m{n}"),
        )
    entries = order_events(world, case_id)
    number = world.orders.orders[ORDER_SHIPPED].number
    assert [(e.before, e.after, e.summary) for e in entries] == [
        (None, "SHIPPED", f"Order {number} was shipped"),
        ("SHIPPED", "SHIPPED", f"Order {number} was updated"),
        ("SHIPPED", "DELIVERED", f"Order {number} was delivered"),
    ]


async def test_a_cache_failure_stores_nothing_so_the_sender_retries(world: World) -> None:
    case_id = await open_about(world, ORDER_SHIPPED)
    delivered = event(world, ORDER_SHIPPED, OrderStatus.DELIVERED, at=NOW, delivery_id="msg_r")
    world.orders.fail_changes = ConnectionError("redis down")

    with pytest.raises(ConnectionError):
        await apply_order_event(world.services, world.orders, delivered)
    assert world.store.order_webhook_deliveries == {}
    assert order_events(world, case_id) == []

    retried = await apply_order_event(world.services, world.orders, delivered)
    assert retried.outcome is OrderEventOutcome.APPLIED
    assert len(order_events(world, case_id)) == 1


async def test_a_failed_commit_stores_nothing_so_the_sender_retries(world: World) -> None:
    case_id = await open_about(world, ORDER_SHIPPED)
    delivered = event(world, ORDER_SHIPPED, OrderStatus.DELIVERED, at=NOW, delivery_id="msg_f")
    world.store.fail_next_commit = OSError("database down")

    with pytest.raises(OSError):
        await apply_order_event(world.services, world.orders, delivered)
    assert world.store.order_webhook_deliveries == {}
    assert world.store.order_versions == {}

    retried = await apply_order_event(world.services, world.orders, delivered)
    assert retried.outcome is OrderEventOutcome.APPLIED
    assert len(order_events(world, case_id)) == 1


async def test_an_order_without_cases_is_still_versioned(world: World) -> None:
    result = await apply_order_event(
        world.services,
        world.orders,
        event(world, ORDER_120, OrderStatus.DELIVERED, at=NOW, delivery_id="msg_n"),
    )
    assert result.outcome is OrderEventOutcome.APPLIED
    assert result.case_ids == ()
    assert world.store.order_versions[ORDER_120].status is OrderStatus.DELIVERED


def test_events_are_validated() -> None:
    from tests.unit.builders import demo_orders

    order = demo_orders(NOW)[0]
    with pytest.raises(ValueError):
        OrderEvent(delivery_id="", type=OrderEventType.UPDATED, order=order, changed_at=NOW)
    with pytest.raises(ValueError):
        OrderEvent(delivery_id="x" * 129, type=OrderEventType.UPDATED, order=order, changed_at=NOW)
    with pytest.raises(ValueError):
        OrderEvent(
            delivery_id="m",
            type=OrderEventType.UPDATED,
            order=dataclasses.replace(order, id="o" * 65),
            changed_at=NOW,
        )
    with pytest.raises(ValueError):
        OrderEvent(
            delivery_id="m",
            type=OrderEventType.UPDATED,
            order=order,
            changed_at=NOW.replace(tzinfo=None),
        )

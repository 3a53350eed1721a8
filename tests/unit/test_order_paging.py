"""myOrders' cursors (domain.order_paging, usecases.order_access.my_orders) over the in-memory order
system, which pages like the real one: newest first, one `next_cursor` per page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import ValidationFailed
from domain.order_paging import OrderCursor, decode_order_cursor, encode_order_cursor
from domain.orders import Order, OrderStatus
from domain.queries import Page
from domain.usecases.order_access import my_orders
from tests.unit.builders import NOW, World, make_order

MANY = 23


def many_orders(world: World, count: int = MANY) -> list[str]:
    """`count` more orders of Alice's; pairs share placed_at, so the id breaks ties."""
    for i in range(count):
        world.orders.put(
            make_order(
                f"ord-many-{i:02d}",
                customer="cust-alice",
                status=OrderStatus.DELIVERED,
                placed_at=NOW - timedelta(hours=1 + i // 2),
                lines=[("Thing", 1, 100)],
            )
        )
    mine = [o for o in world.orders.orders.values() if o.customer_id == "cust-alice"]
    ordered = sorted(mine, key=lambda o: (-o.placed_at.timestamp(), o.id))
    return [o.id for o in ordered]


async def page(world: World, first: int, after: str | None = None) -> Page[Order]:
    return await my_orders(world.services, world.alice, first=first, after=after)


async def walk(world: World, first: int, after: str | None = None) -> list[str]:
    seen: list[str] = []
    while True:
        current = await page(world, first, after)
        assert len(current.cursors) == len(current.items)
        seen += [o.id for o in current.items]
        if not current.has_next_page:
            return seen
        after = current.end_cursor


async def test_every_page_size_walks_every_order_once(world: World) -> None:
    expected = many_orders(world)
    for first in range(1, len(expected) + 2):
        assert await walk(world, first) == expected, first


async def test_every_edge_cursor_resumes_right_after_its_order(world: World) -> None:
    expected = many_orders(world)
    for first in (1, 3, 7, 100):
        after: str | None = None
        while True:
            current = await page(world, first, after)
            for order, cursor in zip(current.items, current.cursors, strict=True):
                position = expected.index(order.id)
                for size in (1, 2, 5, 100):
                    resumed = await page(world, size, cursor)
                    assert [o.id for o in resumed.items] == expected[position + 1 :][:size]
                    assert resumed.has_next_page == (position + 1 + size < len(expected))
                    # and walking on from it still sees the rest exactly once
                assert await walk(world, 4, cursor) == expected[position + 1 :]
            if not current.has_next_page:
                break
            after = current.end_cursor


async def test_a_1_0_end_cursor_of_the_order_system_still_works(world: World) -> None:
    expected = many_orders(world)
    raw = await world.orders.list_customer_orders("cust-alice", limit=5)
    assert raw.next_cursor is not None
    assert await walk(world, 6, raw.next_cursor) == expected[5:]


async def test_paging_by_end_cursor_costs_one_call_per_page(world: World) -> None:
    many_orders(world)
    world.orders.reset_counters()
    await walk(world, 5)
    assert world.orders.calls["list_customer_orders"] == 6  # 28 orders / 5


async def test_a_new_order_placed_meanwhile_does_not_repeat_or_skip_older_ones(
    world: World,
) -> None:
    expected = many_orders(world)
    first_page = await page(world, 10)
    middle_cursor = first_page.cursors[3]  # from the start of the list: by position + id
    world.orders.put(
        make_order(
            "ord-brand-new",
            customer="cust-alice",
            status=OrderStatus.PLACED,
            placed_at=NOW,
            lines=[("New", 1, 100)],
        )
    )
    assert await walk(world, 3, middle_cursor) == expected[4:]


@pytest.mark.parametrize(
    "cursor",
    [
        "oc1.",
        "oc1.!!!",
        encode_order_cursor(OrderCursor(None, 101, "x")),
        encode_order_cursor(OrderCursor(None, 0, "x")),
        encode_order_cursor(OrderCursor(None, 3, None)),
        "oc1." + "A" * 3000,
        "x" * 600,
    ],
)
def test_forged_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(ValidationFailed):
        decode_order_cursor(cursor)


def test_cursors_round_trip() -> None:
    for cursor in (OrderCursor(None, 3, "o1"), OrderCursor("abc", 0, None)):
        assert decode_order_cursor(encode_order_cursor(cursor)) == cursor

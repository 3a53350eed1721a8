"""FakeOrderSystem: domain.ports.OrderSystem over a dict of domain Orders.

`down = True` makes every call raise OrderSystemUnavailable (after counting it); `calls` counts
calls per method and `batches` lists the ids asked for by each `get_orders`. It also stands in for
the order cache's `OrderChanges` port: `changes` lists every `order_changed` call, and
`fail_changes` (an exception) makes the next one raise it. Every call yields to
the event loop (after `latency` seconds, default 0), as a network call would, so that concurrent
use cases interleave. With a clock, every returned order carries `as_of = clock.now()`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.errors import OrderSystemUnavailable, ValidationFailed
from domain.orders import Order, OrderPage
from domain.ports import Clock

MAX_PAGE_SIZE = 100


class FakeOrderSystem:
    def __init__(self, orders: Iterable[Order] = (), *, clock: Clock | None = None) -> None:
        self.orders: dict[str, Order] = {}
        self.clock = clock
        self.down = False
        self.latency = 0.0
        self.calls: Counter[str] = Counter()
        self.batches: list[list[str]] = []
        self.changes: list[tuple[list[str], datetime]] = []
        self.fail_changes: BaseException | None = None
        for order in orders:
            self.put(order)

    @property
    def call_count(self) -> int:
        return sum(self.calls.values())

    def put(self, order: Order) -> None:
        """Add or replace an order."""
        self.orders[order.id] = order

    def update(self, order_id: str, **changes: Any) -> Order:
        """Change fields of an order (e.g. status, delivered_at) as the order system would."""
        order = dataclasses.replace(self.orders[order_id], **changes)
        self.orders[order_id] = order
        return order

    def reset_counters(self) -> None:
        self.calls.clear()
        self.batches.clear()

    async def _gate(self, method: str) -> None:
        self.calls[method] += 1
        await asyncio.sleep(self.latency)
        if self.down:
            raise OrderSystemUnavailable("the order system is down (fake)")

    def _fresh(self, order: Order) -> Order:
        if self.clock is None:
            return order
        return dataclasses.replace(order, as_of=self.clock.now(), stale=False)

    async def get_orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        await self._gate("get_orders")
        self.batches.append(list(order_ids))
        return {
            order_id: self._fresh(order)
            for order_id in order_ids
            if (order := self.orders.get(order_id)) is not None
        }

    async def get_orders_fresh(self, order_ids: Sequence[str]) -> dict[str, Order]:
        await self._gate("get_orders_fresh")
        self.batches.append(list(order_ids))
        return {
            order_id: self._fresh(order)
            for order_id in order_ids
            if (order := self.orders.get(order_id)) is not None
        }

    async def order_changed(self, order_ids: Sequence[str], *, known_at: datetime) -> None:
        """domain.ports.OrderChanges: recorded (the fake keeps no cache to invalidate)."""
        if self.fail_changes is not None:
            failure, self.fail_changes = self.fail_changes, None
            raise failure
        self.changes.append((list(order_ids), known_at))

    async def list_customer_orders(
        self, customer_id: str, *, limit: int, cursor: str | None = None
    ) -> OrderPage:
        await self._gate("list_customer_orders")
        if isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValidationFailed.single("first", f"must be between 1 and {MAX_PAGE_SIZE}")
        mine = sorted(
            (o for o in self.orders.values() if o.customer_id == customer_id), key=_newest_first
        )
        if cursor is not None:
            after = _decode(cursor)
            mine = [o for o in mine if _newest_first(o) > after]
        page = mine[:limit]
        next_cursor = _encode(_newest_first(page[-1])) if len(mine) > limit else None
        return OrderPage(orders=tuple(self._fresh(o) for o in page), next_cursor=next_cursor)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _newest_first(order: Order) -> tuple[int, str]:
    """(-microseconds since the epoch of placed_at, id): newest first, then by id."""
    return (-((order.placed_at - _EPOCH) // timedelta(microseconds=1)), order.id)


def _encode(key: tuple[int, str]) -> str:
    raw = json.dumps([key[0], key[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[int, str]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        value = None
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and not isinstance(value[0], bool)
        and isinstance(value[1], str)
    ):
        return (value[0], value[1])
    raise ValidationFailed.single("after", "is not a valid cursor")

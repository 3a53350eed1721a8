"""What the order system tells the service about its orders (signed webhooks), as the domain
sees it: the event, the per-order version that orders events, and the timeline entry it makes.

The order system owns orders; the service keeps no copy of an order's state beyond its cache.
What it does keep, per order, is the newest version it has applied (`order_versions`), so that an
event that arrives late (after a newer one) is recognised as outdated and never overwrites newer
state, and every delivery id it has processed, so that a redelivery has no second effect.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.orders import Order, OrderStatus

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Delivery ids are the sender's message ids (Standard Webhooks `webhook-id`).
DELIVERY_ID_MAX = 128
# Longer order ids cannot be any case's order (cases store at most this many characters).
ORDER_ID_MAX = 64


class OrderEventType(enum.StrEnum):
    UPDATED = "order.updated"
    DELIVERED = "order.delivered"
    CANCELLED = "order.cancelled"


class OrderEventOutcome(enum.StrEnum):
    APPLIED = "applied"  # newer than anything seen for the order: recorded, timelines updated
    OUTDATED = "outdated"  # older than (or as old as) what was applied: recorded, no effect
    DUPLICATE = "duplicate"  # this delivery id was processed before: nothing at all


def order_version(moment: datetime) -> int:
    """The version of an order state changed at `moment`: microseconds since the Unix epoch.

    Versions of one order only ever grow; the order system stamps every change (updated_at)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("order_version needs a timezone-aware datetime")
    return (moment - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One event of the order system. `delivery_id` is the same for every delivery attempt of
    the event; `changed_at` is when the order system changed the order (orders the events)."""

    delivery_id: str
    type: OrderEventType
    order: Order
    changed_at: datetime
    # The verified body as received, stored with the delivery so that an admin can replay it.
    payload: str | None = None

    def __post_init__(self) -> None:
        if not self.delivery_id or len(self.delivery_id) > DELIVERY_ID_MAX:
            raise ValueError(f"a delivery id has 1..{DELIVERY_ID_MAX} characters")
        if len(self.order.id) > ORDER_ID_MAX:
            raise ValueError(f"an order id has at most {ORDER_ID_MAX} characters")
        if self.changed_at.tzinfo is None or self.changed_at.utcoffset() is None:
            raise ValueError("changed_at must be timezone-aware")

    @property
    def version(self) -> int:
        return order_version(self.changed_at)


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    """A processed delivery as remembered (`payload`: None for deliveries stored before payloads
    were kept; those cannot be replayed)."""

    delivery_id: str
    event_type: str
    order_id: str | None
    received_at: datetime
    payload: str | None = None


@dataclass(frozen=True, slots=True)
class OrderVersionAdvance:
    """What recording a version did: `advanced` when it was newer than the stored one (or the
    first), and the status that was stored before (None for the first)."""

    advanced: bool
    previous_status: OrderStatus | None


def timeline_summary(event: OrderEvent, previous_status: OrderStatus | None) -> str:
    """The customer-visible line of the ORDER_UPDATED timeline entry (no internal detail)."""
    number = event.order.number
    status = event.order.status
    if status is previous_status:
        return f"Order {number} was updated"
    if status is OrderStatus.DELIVERED:
        return f"Order {number} was delivered"
    if status is OrderStatus.CANCELLED:
        return f"Order {number} was cancelled"
    if status is OrderStatus.SHIPPED:
        return f"Order {number} was shipped"
    return f"Order {number} was updated"

"""Orders belong to the external order system; the service only reads them (value objects)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from domain.money import Money


class OrderStatus(enum.StrEnum):
    PLACED = "PLACED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class OrderLine:
    id: str
    sku: str
    name: str
    quantity: int
    unit_price: Money


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    number: str
    customer_id: str  # the order system's customer id (User.external_customer_id)
    status: OrderStatus
    placed_at: datetime
    promised_delivery_date: date | None
    delivered_at: datetime | None
    currency: str
    total: Money
    shipping: Money
    lines: tuple[OrderLine, ...]
    payment_reference: str
    # When this copy was read from the order system, and whether it is a cached copy served
    # while the order system could not be reached.
    as_of: datetime
    stale: bool = field(default=False)

    def line(self, line_id: str) -> OrderLine | None:
        return next((line for line in self.lines if line.id == line_id), None)


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: tuple[Order, ...]
    next_cursor: str | None

"""Order (read from the order system) and its lines."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import strawberry

from app.graphql.context import Info
from app.graphql.errors import OrderUnavailableError
from app.graphql.fields import field
from app.graphql.ids import encode_id
from app.graphql.types.common import Money, Node, OrderStatus
from app.graphql.types.connections import Connection, connection
from domain import orders as do
from domain import refunds as dr
from domain.errors import OrderSystemUnavailable
from domain.refunds import refundable_remainder, refunded_quantities


async def load_order(info: Info, order_id: str) -> do.Order | None:
    try:
        order: do.Order | None = await info.context.loaders.order_by_id.load(order_id)
    except OrderSystemUnavailable:
        raise OrderUnavailableError("The order system cannot be reached right now") from None
    return order


@strawberry.type(description="A line of an order.")
class OrderLine:
    model: strawberry.Private[do.OrderLine]
    refunded: strawberry.Private[int]

    @field(description="The line's id in the order system (use it in requestRefund).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.model.id)

    @field(description="Stock keeping unit.")
    def sku(self) -> str:
        return self.model.sku

    @field(description="Product name.")
    def name(self) -> str:
        return self.model.name

    @field(description="Ordered quantity.")
    def quantity(self) -> int:
        return self.model.quantity

    @field(description="Price of one unit.")
    def unit_price(self) -> Money:
        return Money.from_domain(self.model.unit_price)

    @field(description="Units refunded or being refunded.")
    def refunded_quantity(self) -> int:
        return self.refunded


@strawberry.type(description="An order, read from the shop's order system.")
class Order(Node):
    model: strawberry.Private[do.Order]

    @classmethod
    def from_domain(cls, order: do.Order) -> Order:
        return cls(id=encode_id("Order", order.id), model=order)

    async def _refunds(self, info: Info) -> list[dr.Refund]:
        refunds: list[dr.Refund] | None = await info.context.loaders.refunds_by_order_id.load(
            self.model.id
        )
        return refunds or []

    @field(description="The shop's order number, e.g. #1001.")
    def number(self) -> str:
        return self.model.number

    @field(description="Status in the order system.")
    def status(self) -> OrderStatus:
        return self.model.status

    @field(description="When the order was placed.")
    def placed_at(self) -> datetime:
        return self.model.placed_at

    @field(description="The promised delivery date, if any.")
    def promised_delivery_date(self) -> date | None:
        return self.model.promised_delivery_date

    @field(description="When the carrier confirmed delivery.")
    def delivered_at(self) -> datetime | None:
        return self.model.delivered_at

    @field(description="Order total including shipping.")
    def total(self) -> Money:
        return Money.from_domain(self.model.total)

    @field(description="Shipping charged (refundable once).")
    def shipping(self) -> Money:
        return Money.from_domain(self.model.shipping)

    @field(description="Money already paid back.")
    async def refunded_amount(self, info: Info) -> Money:
        return Money.from_domain(dr.refunded_amount(self.model, await self._refunds(info)))

    @field(description="What can still be refunded (total minus paid and in flight).")
    async def refundable_amount(self, info: Info) -> Money:
        return Money.from_domain(refundable_remainder(self.model, await self._refunds(info)))

    @field(description="The order's lines.")
    async def lines(self, info: Info) -> list[OrderLine]:
        refunded = refunded_quantities(await self._refunds(info))
        return [
            OrderLine(model=line, refunded=refunded.get(line.id, 0)) for line in self.model.lines
        ]

    @field(description="True when served from cache while the order system is down.")
    def stale(self) -> bool:
        return self.model.stale

    @field(description="When this copy was read from the order system.")
    def as_of(self) -> datetime:
        return self.model.as_of


if TYPE_CHECKING:
    OrderConnection = Connection[Order]
else:
    OrderConnection = connection(
        Order,
        Order.from_domain,
        description="A page of orders, newest first.",
        edges="The orders of this page.",
        edge_description="An edge of an order connection.",
        cursor="Position of this order: pass it as `after` to continue right after it.",
        node_description="The order.",
    )

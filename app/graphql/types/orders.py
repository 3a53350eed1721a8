"""Order (read from the order system) and its lines."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import strawberry

from app.graphql.context import Info
from app.graphql.errors import OrderUnavailableError
from app.graphql.fields import field
from app.graphql.relations import or_none, then
from app.graphql.types.common import Money, Node, OrderStatus
from app.graphql.types.connections import Connection, connection
from app.graphql.types.from_model import from_model
from domain import orders as do
from domain import refunds as dr
from domain.errors import OrderSystemUnavailable
from domain.refunds import refundable_remainder, refunded_quantities

ORDER_UNAVAILABLE = "The order system cannot be reached right now"


def _order_unavailable(exc: BaseException) -> BaseException | None:
    if isinstance(exc, OrderSystemUnavailable):
        return OrderUnavailableError(ORDER_UNAVAILABLE)
    return None


@strawberry.type(description="A line of an order.")
class OrderLine:
    id: strawberry.ID = strawberry.field(
        description="The line's id in the order system (use it in requestRefund)."
    )
    sku: str = strawberry.field(description="Stock keeping unit.")
    name: str = strawberry.field(description="Product name.")
    quantity: int = strawberry.field(description="Ordered quantity.")
    unit_price: Money = strawberry.field(description="Price of one unit.")
    refunded_quantity: int = strawberry.field(description="Units refunded or being refunded.")

    @classmethod
    def from_domain(cls, line: do.OrderLine, refunded: int) -> OrderLine:
        return cls(
            id=strawberry.ID(line.id),
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_price=Money.from_domain(line.unit_price),
            refunded_quantity=refunded,
        )


@strawberry.type(description="An order, read from the shop's order system.")
class Order(Node):
    model: strawberry.Private[do.Order]
    number: str = strawberry.field(description="The shop's order number, e.g. #1001.")
    status: OrderStatus = strawberry.field(description="Status in the order system.")
    placed_at: datetime = strawberry.field(description="When the order was placed.")
    promised_delivery_date: date | None = strawberry.field(
        description="The promised delivery date, if any."
    )
    delivered_at: datetime | None = strawberry.field(
        description="When the carrier confirmed delivery."
    )
    total: Money = strawberry.field(description="Order total including shipping.")
    shipping: Money = strawberry.field(description="Shipping charged (refundable once).")

    @classmethod
    def from_domain(cls, order: do.Order) -> Order:
        return from_model(
            cls,
            order,
            total=Money.from_domain(order.total),
            shipping=Money.from_domain(order.shipping),
        )

    @field(description="Money already paid back.")
    def refunded_amount(self, info: Info) -> Money:
        order = self.model
        return then(
            info.context.loaders.refunds_by_order_id.load(order.id),
            lambda refunds: Money.from_domain(dr.refunded_amount(order, refunds or [])),
        )

    @field(description="What can still be refunded (total minus paid and in flight).")
    def refundable_amount(self, info: Info) -> Money:
        order = self.model
        return then(
            info.context.loaders.refunds_by_order_id.load(order.id),
            lambda refunds: Money.from_domain(refundable_remainder(order, refunds or [])),
        )

    @field(description="The order's lines.")
    def lines(self, info: Info) -> list[OrderLine]:
        order = self.model

        def lines(refunds: list[dr.Refund] | None) -> list[OrderLine]:
            refunded = refunded_quantities(refunds or [])
            return [OrderLine.from_domain(line, refunded.get(line.id, 0)) for line in order.lines]

        return then(info.context.loaders.refunds_by_order_id.load(order.id), lines)

    stale: bool = strawberry.field(
        description="True when served from cache while the order system is down."
    )
    as_of: datetime = strawberry.field(description="When this copy was read from the order system.")


def order_relation(info: Info, order_id: str | None) -> Order | None:
    """The order `order_id` (None: none) through the request's order loader; an order system
    that cannot be reached is the field's OrderUnavailableError."""
    if order_id is None:
        return None
    return then(
        info.context.loaders.order_by_id.load(order_id),
        or_none(Order.from_domain),
        _order_unavailable,
    )


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

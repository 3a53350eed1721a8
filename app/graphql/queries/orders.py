"""Orders from the order system and what may still be refunded."""

from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.errors import (
    NotFoundError,
    OrderUnavailableError,
    argument_error,
)
from app.graphql.fields import field
from app.graphql.ids import decode_expected
from app.graphql.permissions import IsAuthenticated
from app.graphql.queries.common import (
    OrderId,
    validation_error,
    visible_order_of,
)
from app.graphql.types.common import (
    AfterArg,
    FirstArg,
)
from app.graphql.types.objects import (
    Order,
    OrderConnection,
    RefundQuote,
)
from domain.errors import DomainError, NotFound, ValidationFailed
from domain.queries import page_size
from domain.usecases.order_access import OrderUnavailable, my_orders
from domain.usecases.refund_quote import refund_quote


@strawberry.type
class OrderQueries:
    @field(
        description="The logged-in customer's orders, from the order system (newest first).",
        permission_classes=[IsAuthenticated],
    )
    async def my_orders(
        self, info: Info, first: FirstArg = 20, after: AfterArg = None
    ) -> OrderConnection:
        principal = info.context.require_principal()
        try:
            size = page_size(first)
        except ValidationFailed as exc:
            raise argument_error(exc) from None
        try:
            page = await my_orders(info.context.services, principal, first=size, after=after)
        except OrderUnavailable as exc:
            raise OrderUnavailableError(exc.message) from None
        except DomainError as exc:  # e.g. a forged `after` cursor
            raise validation_error(exc) from None
        return OrderConnection.from_page(page)

    @field(description="An order by id; null if missing or not yours.")
    async def order(self, info: Info, id: OrderId) -> Order | None:
        principal = info.context.require_principal()
        internal = decode_expected(id, "Order")
        return await visible_order_of(info, principal, internal) if internal else None

    @field(
        description="What could be refunded on an order now.",
        permission_classes=[IsAuthenticated],
    )
    async def refund_quote(self, info: Info, order_id: OrderId) -> RefundQuote:
        principal = info.context.require_principal()
        internal = decode_expected(order_id, "Order")
        if internal is None:
            raise NotFoundError("Order not found")
        try:
            quote = await refund_quote(info.context.services, principal, internal)
        except NotFound:
            raise NotFoundError("Order not found") from None
        except OrderUnavailable as exc:
            raise OrderUnavailableError(exc.message) from None
        return RefundQuote.from_domain(quote)

"""Reading orders on behalf of a principal: ownership is checked here, not by the order system."""

from __future__ import annotations

from domain.errors import DomainError, ErrorCode, NotFound, OrderSystemUnavailable
from domain.orders import Order, OrderPage
from domain.usecases.services import Services
from domain.users import Principal


class OrderUnavailable(DomainError):
    code = ErrorCode.ORDER_UNAVAILABLE

    def __init__(self) -> None:
        super().__init__("The order system cannot be reached right now; try again shortly")


async def customer_ref_of(services: Services, user_id: str) -> str | None:
    users = await services.reads.users_by_ids([user_id])
    user = users.get(user_id)
    return user.external_customer_id if user else None


async def visible_order(services: Services, principal: Principal, order_id: str) -> Order:
    """The order if the principal may see it (staff: any; customer: their own) else NotFound."""
    try:
        order = (await services.orders.get_orders([order_id])).get(order_id)
    except OrderSystemUnavailable as exc:
        raise OrderUnavailable() from exc
    if order is None:
        raise NotFound("Order")
    if not principal.is_staff and order.customer_id != await customer_ref_of(
        services, principal.user_id
    ):
        raise NotFound("Order")
    return order


async def my_orders(
    services: Services, principal: Principal, *, first: int, after: str | None
) -> OrderPage:
    ref = await customer_ref_of(services, principal.user_id)
    if ref is None:  # staff have no orders of their own
        return OrderPage(orders=(), next_cursor=None)
    try:
        return await services.orders.list_customer_orders(ref, limit=first, cursor=after)
    except OrderSystemUnavailable as exc:
        raise OrderUnavailable() from exc

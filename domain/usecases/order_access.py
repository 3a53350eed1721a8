"""Reading orders on behalf of a principal: ownership is checked here, not by the order system."""

from __future__ import annotations

from domain.errors import DomainError, ErrorCode, NotFound, OrderSystemUnavailable
from domain.order_paging import (
    MAX_OFFSET,
    OrderCursor,
    decode_order_cursor,
    encode_order_cursor,
)
from domain.orders import Order, OrderPage
from domain.queries import Page
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
) -> Page[Order]:
    """The principal's orders, newest first, one cursor per order (domain.order_paging): resuming
    from any order's cursor continues right after that order."""
    ref = await customer_ref_of(services, principal.user_id)
    if ref is None:  # staff have no orders of their own
        return Page(items=[], cursors=[], has_next_page=False)
    position = decode_order_cursor(after) if after is not None else OrderCursor(None, 0, None)
    try:
        return await _page_after(services, ref, position, first)
    except OrderSystemUnavailable as exc:
        raise OrderUnavailable() from exc


async def _page_after(
    services: Services, ref: str, position: OrderCursor, first: int
) -> Page[Order]:
    async def fetch(base: str | None, limit: int) -> OrderPage:
        return await services.orders.list_customer_orders(ref, limit=limit, cursor=base)

    items: list[Order] = []
    cursors: list[OrderCursor] = []

    def take(page_orders: tuple[Order, ...], base: str | None, start: int, count: int) -> None:
        """Orders page_orders[start:start+count], which lie start+1.. places after `base`."""
        for i, order in enumerate(page_orders[start : start + count]):
            items.append(order)
            cursors.append(OrderCursor(base, start + i + 1, order.id))

    base, next_cursor = position.base, None
    if position.offset == 0:
        page = await fetch(base, first)
        take(page.orders, base, 0, first)
        next_cursor = page.next_cursor
        has_next = next_cursor is not None
    else:
        probe = await fetch(base, min(MAX_OFFSET, position.offset + first))
        ids = [o.id for o in probe.orders]
        if position.offset <= len(ids) and ids[position.offset - 1] == position.order_id:
            anchor = position.offset - 1
        elif position.order_id in ids:  # moved: orders were removed before it
            anchor = ids.index(position.order_id)
        else:  # pushed beyond the probe, or gone: resume by position
            anchor = min(position.offset, len(ids)) - 1
        rest = len(ids) - (anchor + 1)
        take(probe.orders, base, anchor + 1, first)
        if rest > first:
            has_next = True
        elif probe.next_cursor is None:
            has_next = False
        elif rest == first:
            has_next, next_cursor = True, probe.next_cursor
        else:
            more = await fetch(probe.next_cursor, first - rest)
            take(more.orders, probe.next_cursor, 0, first - rest)
            next_cursor = more.next_cursor
            has_next = next_cursor is not None
    if has_next and next_cursor is not None and items:
        # The order system's own cursor of the page's end: resuming from it is one call.
        cursors[-1] = OrderCursor(next_cursor, 0, None)
    return Page(
        items=items,
        cursors=[encode_order_cursor(c) for c in cursors],
        has_next_page=has_next and bool(items),
    )

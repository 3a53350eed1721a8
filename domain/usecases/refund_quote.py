"""What could be refunded on an order right now, and why not if nothing can."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.errors import RefundDenial
from domain.money import Money
from domain.orders import Order
from domain.refunds import (
    Refund,
    RefundStatus,
    eligibility_denial,
    refundable_remainder,
    window_ends_at,
)
from domain.usecases.order_access import visible_order
from domain.usecases.services import Services
from domain.users import Principal


@dataclass(frozen=True, slots=True)
class RefundQuote:
    order: Order
    eligible: bool
    refundable_amount: Money
    window_ends_at: datetime | None
    denial: RefundDenial | None


def quote_for(order: Order, refunds: list[Refund], services: Services) -> RefundQuote:
    now = services.clock.now()
    remainder = refundable_remainder(order, refunds)
    denial = eligibility_denial(order, None, now, services.refund_policy)
    if denial is None and any(r.status is RefundStatus.REQUESTED for r in refunds):
        denial = RefundDenial.REFUND_ALREADY_PENDING
    if denial is None and remainder.amount <= 0:
        denial = RefundDenial.EXCEEDS_REFUNDABLE_AMOUNT
    return RefundQuote(
        order=order,
        eligible=denial is None,
        refundable_amount=remainder,
        window_ends_at=window_ends_at(order, services.refund_policy),
        denial=denial,
    )


async def refund_quote(services: Services, principal: Principal, order_id: str) -> RefundQuote:
    order = await visible_order(services, principal, order_id)
    refunds = (await services.reads.refunds_for_orders([order.id])).get(order.id, [])
    return quote_for(order, refunds, services)

"""Refund, its lines, and the refund quote of an order."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.fields import field
from app.graphql.ids import encode_id
from app.graphql.types.common import (
    Money,
    Node,
    RefundApproval,
    RefundDenial,
    RefundReason,
    RefundStatus,
)
from app.graphql.types.connections import Connection, connection
from app.graphql.types.orders import Order, load_order
from app.graphql.types.users import User, load_user
from domain import refunds as dr
from domain.usecases.refund_quote import RefundQuote as DomainRefundQuote

if TYPE_CHECKING:
    from app.graphql.types.cases import SupportCase

# SupportCase's module imports this one: the reference back is lazy.
SupportCaseRef = Annotated["SupportCase", strawberry.lazy("app.graphql.types.cases")]


@strawberry.type(description="A refund of (part of) an order, attached to a case.")
class Refund(Node):
    model: strawberry.Private[dr.Refund]

    @classmethod
    def from_domain(cls, refund: dr.Refund) -> Refund:
        return cls(id=encode_id("Refund", refund.id), model=refund)

    @field(description="The case this refund belongs to.")
    async def support_case(self, info: Info) -> SupportCaseRef:
        from app.graphql.types.cases import case_of

        return await case_of(info, self.model.case_id)

    @field(description="The refunded order (from the order system).")
    async def order(self, info: Info) -> Order | None:
        order = await load_order(info, self.model.order_id)
        return Order.from_domain(order) if order is not None else None

    @field(description="Amount to pay back.")
    def amount(self) -> Money:
        return Money.from_domain(self.model.amount)

    @field(description="Why it was asked for.")
    def reason(self) -> RefundReason:
        return self.model.reason

    @field(description="The requester's note.")
    def note(self) -> str | None:
        return self.model.note

    @field(description="Where the refund is in its lifecycle.")
    def status(self) -> RefundStatus:
        return self.model.status

    @field(description="Who approved it, once approved.")
    def approval(self) -> RefundApproval | None:
        return self.model.approval

    @field(description="The agent or admin who decided (null for the automatic policy).")
    async def decided_by(self, info: Info) -> User | None:
        return await load_user(info, self.model.decided_by_id)

    @field(description="The decision's explanation (the policy's reason when automatic).")
    def decision_note(self) -> str | None:
        return self.model.decision_note

    @field(description="Why the payment gateway refused it, if it failed.")
    def failure_reason(self) -> str | None:
        return self.model.failure_reason

    @field(
        description="Payment attempt (1, then +1 on each retry of a FAILED refund); the "
        "payment gateway sees each attempt under its own idempotency key."
    )
    def attempt(self) -> int:
        return self.model.attempt

    @field(description="The payment gateway's id of the refund, once SUCCEEDED.")
    def gateway_refund_id(self) -> str | None:
        return self.model.gateway_refund_id

    @field(
        description="True when the amount is above the agents' approval limit: only an admin "
        "may approve it (clients show it before anyone tries)."
    )
    def requires_admin_approval(self, info: Info) -> bool:
        return dr.requires_admin_approval(self.model.amount, info.context.services.refund_policy)

    @field(description="Refunded lines and quantities, when asked by line.")
    def lines(self) -> list[RefundLineItem]:
        return [
            RefundLineItem(line_id=strawberry.ID(x.line_id), quantity=x.quantity)
            for x in self.model.lines
        ]

    @field(description="Whether shipping is part of this refund.")
    def include_shipping(self) -> bool:
        return self.model.include_shipping

    @field(description="When it was requested.")
    def created_at(self) -> datetime:
        return self.model.created_at

    @field(description="When it last changed.")
    def updated_at(self) -> datetime:
        return self.model.updated_at


@strawberry.type(description="A line and quantity of a refund.")
class RefundLineItem:
    line_id: strawberry.ID = strawberry.field(description="OrderLine.id")
    quantity: int = strawberry.field(description="Units refunded.")


if TYPE_CHECKING:
    RefundConnection = Connection[Refund]
else:
    RefundConnection = connection(
        Refund,
        Refund.from_domain,
        description="A page of refunds: newest first in Query.refunds, oldest first in "
        "SupportCase.refundsConnection.",
        edges="The refunds of this page.",
        edge_description="An edge of a refund connection.",
        cursor="Position of this refund.",
        node_description="The refund.",
        total_count=True,
    )


@strawberry.type(description="What could be refunded on an order right now.")
class RefundQuote:
    model: strawberry.Private[DomainRefundQuote]

    @field(description="The order.")
    def order(self) -> Order:
        return Order.from_domain(self.model.order)

    @field(description="Whether a refund can be requested now.")
    def eligible(self) -> bool:
        return self.model.eligible

    @field(description="The most that can still be refunded.")
    def refundable_amount(self) -> Money:
        return Money.from_domain(self.model.refundable_amount)

    @field(description="The end of the refund window, once delivered.")
    def window_ends_at(self) -> datetime | None:
        return self.model.window_ends_at

    @field(description="Why not, when not eligible.")
    def denial(self) -> RefundDenial | None:
        return self.model.denial

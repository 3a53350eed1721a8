"""Refund, its lines, and the refund quote of an order."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.fields import field
from app.graphql.types.common import (
    Money,
    Node,
    RefundApproval,
    RefundDenial,
    RefundReason,
    RefundStatus,
)
from app.graphql.types.connections import Connection, connection
from app.graphql.types.from_model import from_model
from app.graphql.types.orders import Order, order_relation
from app.graphql.types.users import User, user_relation
from domain import refunds as dr
from domain.usecases.refund_quote import RefundQuote as DomainRefundQuote

if TYPE_CHECKING:
    from app.graphql.types.cases import SupportCase

# SupportCase's module imports this one: the reference back is lazy.
SupportCaseRef = Annotated["SupportCase", strawberry.lazy("app.graphql.types.cases")]


@strawberry.type(description="A line and quantity of a refund.")
class RefundLineItem:
    line_id: strawberry.ID = strawberry.field(description="OrderLine.id")
    quantity: int = strawberry.field(description="Units refunded.")


@strawberry.type(description="A refund of (part of) an order, attached to a case.")
class Refund(Node):
    model: strawberry.Private[dr.Refund]

    @field(description="The case this refund belongs to.")
    def support_case(self, info: Info) -> SupportCaseRef:
        from app.graphql.types.cases import case_relation

        return case_relation(info, self.model.case_id)

    @field(description="The refunded order (from the order system).")
    def order(self, info: Info) -> Order | None:
        return order_relation(info, self.model.order_id)

    amount: Money = strawberry.field(description="Amount to pay back.")
    reason: RefundReason = strawberry.field(description="Why it was asked for.")
    note: str | None = strawberry.field(description="The requester's note.")
    status: RefundStatus = strawberry.field(description="Where the refund is in its lifecycle.")
    approval: RefundApproval | None = strawberry.field(
        description="Who approved it, once approved."
    )

    @field(description="The agent or admin who decided (null for the automatic policy).")
    def decided_by(self, info: Info) -> User | None:
        return user_relation(info, self.model.decided_by_id)

    decision_note: str | None = strawberry.field(
        description="The decision's explanation (the policy's reason when automatic)."
    )
    failure_reason: str | None = strawberry.field(
        description="Why the payment gateway refused it, if it failed."
    )
    attempt: int = strawberry.field(
        description="Payment attempt (1, then +1 on each retry of a FAILED refund); the "
        "payment gateway sees each attempt under its own idempotency key."
    )
    gateway_refund_id: str | None = strawberry.field(
        description="The payment gateway's id of the refund, once SUCCEEDED."
    )

    @field(
        description="True when the amount is above the agents' approval limit: only an admin "
        "may approve it (clients show it before anyone tries)."
    )
    def requires_admin_approval(self, info: Info) -> bool:
        return dr.requires_admin_approval(self.model.amount, info.context.services.refund_policy)

    lines: list[RefundLineItem] = strawberry.field(
        description="Refunded lines and quantities, when asked by line."
    )
    include_shipping: bool = strawberry.field(
        description="Whether shipping is part of this refund."
    )
    created_at: datetime = strawberry.field(description="When it was requested.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_domain(cls, refund: dr.Refund) -> Refund:
        return from_model(
            cls,
            refund,
            amount=Money.from_domain(refund.amount),
            lines=[
                RefundLineItem(line_id=strawberry.ID(x.line_id), quantity=x.quantity)
                for x in refund.lines
            ],
        )


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
    order: Order = strawberry.field(description="The order.")
    eligible: bool = strawberry.field(description="Whether a refund can be requested now.")
    refundable_amount: Money = strawberry.field(description="The most that can still be refunded.")
    window_ends_at: datetime | None = strawberry.field(
        description="The end of the refund window, once delivered."
    )
    denial: RefundDenial | None = strawberry.field(description="Why not, when not eligible.")

    @classmethod
    def from_domain(cls, quote: DomainRefundQuote) -> RefundQuote:
        return cls(
            order=Order.from_domain(quote.order),
            eligible=quote.eligible,
            refundable_amount=Money.from_domain(quote.refundable_amount),
            window_ends_at=quote.window_ends_at,
            denial=quote.denial,
        )

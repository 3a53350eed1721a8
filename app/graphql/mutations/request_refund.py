from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._idempotency import idempotency_key_field
from app.graphql.mutations._run import internal_id, run
from app.graphql.permissions import IsAuthenticated
from app.graphql.types.common import RefundReason
from app.graphql.types.errors import (
    Conflict,
    IdempotencyKeyReused,
    NotFound,
    OrderUnavailable,
    RefundNotAllowed,
    ValidationFailed,
)
from app.graphql.types.objects import Refund
from domain.refunds import RefundLine, RefundRequest
from domain.usecases import request_refund as use_case

MAX_LINES = 100


@strawberry.input(description="Part of an order line to refund.")
class RefundLineInput:
    line_id: strawberry.ID = strawberry.field(description="OrderLine.id")
    quantity: int = strawberry.field(description="Units, at least 1.")


@strawberry.input(
    description="A refund request. Say how much in exactly one way: `amount`, or `lines`, or "
    "neither with `includeShipping: true` (shipping only); `includeShipping` may go with "
    "either. Giving both `amount` and `lines` (or none of the three) is ValidationFailed. "
    "(This rule stands in for @oneOf, which would need caseId and reason out of this input: "
    "see docs/api.md.)"
)
class RequestRefundInput:
    case_id: strawberry.ID = strawberry.field(
        description="SupportCase.id; the case's order is refunded."
    )
    reason: RefundReason = strawberry.field(description="Why.")
    amount: int | None = strawberry.field(
        default=None,
        description="Minor units in the order's currency. Not with `lines` (one or the other).",
    )
    lines: list[RefundLineInput] | None = strawberry.field(
        default=None,
        description="Lines and quantities, priced by the order. Not with `amount` (one or the "
        "other).",
    )
    include_shipping: bool = strawberry.field(
        default=False, description="Add the order's shipping (refundable once)."
    )
    note: str | None = strawberry.field(default=None, description="Required for OTHER.")
    idempotency_key: str | None = idempotency_key_field(
        unit="request", second="refund", call="request"
    )


@strawberry.type(description="The refund was requested (and maybe approved by the policy).")
class RefundRequested:
    refund: Refund = strawberry.field(description="The new refund.")


RequestRefundResult = (
    RefundRequested
    | RefundNotAllowed
    | ValidationFailed
    | NotFound
    | Conflict
    | IdempotencyKeyReused
    | OrderUnavailable
)


@mutation(
    permission_classes=[IsAuthenticated],
    description="Ask for money back on the case's order. Small refunds may be approved at once "
    "by the refund policy (approval AUTO_POLICY).",
)
async def request_refund(info: Info, input: RequestRefundInput) -> RequestRefundResult:
    principal = info.context.require_principal()

    async def work() -> RefundRequested:
        from domain.errors import ValidationFailed as DomainValidationFailed

        lines = input.lines or []
        if len(lines) > MAX_LINES:
            raise DomainValidationFailed.single("lines", f"at most {MAX_LINES} lines")
        request = RefundRequest(
            reason=input.reason,
            amount=input.amount,
            lines=tuple(RefundLine(line_id=str(x.line_id), quantity=x.quantity) for x in lines),
            include_shipping=input.include_shipping,
            note=input.note,
        )
        refund = await use_case.request_refund(
            info.context.services,
            principal,
            internal_id(input.case_id, "SupportCase", "Case"),
            request,
            idempotency_key=input.idempotency_key,
        )
        return RefundRequested(refund=Refund.from_domain(refund))

    return await run(work(), info)  # type: ignore[return-value]

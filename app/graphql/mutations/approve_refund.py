from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._refunds import RefundDecided, on_refund
from app.graphql.permissions import IsAgent
from app.graphql.types.errors import (
    ApprovalLimitExceeded,
    Conflict,
    InvalidTransition,
    NotFound,
    OrderUnavailable,
    RefundNotAllowed,
    ValidationFailed,
)
from domain.usecases import approve_refund as use_case


@strawberry.input(description="An approval.")
class ApproveRefundInput:
    refund_id: strawberry.ID = strawberry.field(description="Refund.id")
    note: str | None = strawberry.field(default=None, description="Optional explanation.")


ApproveRefundResult = (
    RefundDecided
    | InvalidTransition
    | ApprovalLimitExceeded
    | RefundNotAllowed
    | NotFound
    | ValidationFailed
    | Conflict
    | OrderUnavailable
)


@mutation(
    permission_classes=[IsAgent],
    description="Approve a REQUESTED refund (agents up to their limit; admins any amount).",
)
async def approve_refund(info: Info, input: ApproveRefundInput) -> ApproveRefundResult:
    return await on_refund(  # type: ignore[return-value]
        info, input.refund_id, RefundDecided.of, use_case.approve_refund, input.note
    )

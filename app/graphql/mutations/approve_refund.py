from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.mutations._run import internal_id, run
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
from app.graphql.types.objects import Refund
from domain.usecases import approve_refund as use_case


@strawberry.input(description="An approval.")
class ApproveRefundInput:
    refund_id: strawberry.ID = strawberry.field(description="Refund.id")
    note: str | None = strawberry.field(default=None, description="Optional explanation.")


@strawberry.type(description="The refund was decided.")
class RefundDecided:
    refund: Refund = strawberry.field(description="The refund after the decision.")


ApproveRefundResult = Annotated[
    RefundDecided
    | InvalidTransition
    | ApprovalLimitExceeded
    | RefundNotAllowed
    | NotFound
    | ValidationFailed
    | Conflict
    | OrderUnavailable,
    strawberry.union("ApproveRefundResult", description="The outcome of approveRefund."),
]


async def approve_refund(
    info: Info,
    input: Annotated[
        ApproveRefundInput,
        strawberry.argument(description="Everything approveRefund needs, in one object."),
    ],
) -> ApproveRefundResult:
    principal = info.context.require_principal()

    async def work() -> RefundDecided:
        refund = await use_case.approve_refund(
            info.context.services,
            principal,
            internal_id(input.refund_id, "Refund", "Refund"),
            input.note,
        )
        return RefundDecided(refund=Refund.from_domain(refund))

    return await run(work(), info)  # type: ignore[return-value]


field = strawberry.mutation(
    resolver=approve_refund,
    permission_classes=[IsAgent],
    description="Approve a REQUESTED refund (agents up to their limit; admins any amount).",
)

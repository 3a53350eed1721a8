from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.mutations._run import internal_id, run
from app.graphql.permissions import IsAuthenticated
from app.graphql.types.errors import Conflict, InvalidTransition, NotFound
from app.graphql.types.objects import Refund
from domain.usecases import cancel_refund as use_case


@strawberry.input(description="The refund request to withdraw.")
class CancelRefundInput:
    refund_id: strawberry.ID = strawberry.field(description="Refund.id")


@strawberry.type(description="The refund request was withdrawn.")
class RefundCancelled:
    refund: Refund = strawberry.field(description="The refund, now CANCELLED.")


CancelRefundResult = Annotated[
    RefundCancelled | InvalidTransition | NotFound | Conflict,
    strawberry.union("CancelRefundResult", description="The outcome of cancelRefund."),
]


async def cancel_refund(
    info: Info,
    input: Annotated[
        CancelRefundInput,
        strawberry.argument(description="Everything cancelRefund needs, in one object."),
    ],
) -> CancelRefundResult:
    principal = info.context.require_principal()

    async def work() -> RefundCancelled:
        refund = await use_case.cancel_refund(
            info.context.services, principal, internal_id(input.refund_id, "Refund", "Refund")
        )
        return RefundCancelled(refund=Refund.from_domain(refund))

    return await run(work())  # type: ignore[return-value]


field = strawberry.mutation(
    resolver=cancel_refund,
    permission_classes=[IsAuthenticated],
    description="Customers: withdraw a refund request that is still REQUESTED.",
)

from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._refunds import on_refund
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


CancelRefundResult = RefundCancelled | InvalidTransition | NotFound | Conflict


@mutation(
    permission_classes=[IsAuthenticated],
    description="Customers: withdraw a refund request that is still REQUESTED.",
)
async def cancel_refund(info: Info, input: CancelRefundInput) -> CancelRefundResult:
    return await on_refund(  # type: ignore[return-value]
        info,
        input.refund_id,
        lambda refund: RefundCancelled(refund=Refund.from_domain(refund)),
        use_case.cancel_refund,
    )

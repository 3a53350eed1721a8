from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._refunds import RefundDecided, on_refund
from app.graphql.permissions import IsAgent
from app.graphql.types.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from domain.usecases import reject_refund as use_case


@strawberry.input(description="A rejection; the note is shown to the customer.")
class RejectRefundInput:
    refund_id: strawberry.ID = strawberry.field(description="Refund.id")
    note: str = strawberry.field(description="Why, for the customer (required).")


RejectRefundResult = RefundDecided | InvalidTransition | NotFound | ValidationFailed | Conflict


@mutation(
    permission_classes=[IsAgent],
    description="Reject a REQUESTED refund with a note for the customer.",
)
async def reject_refund(info: Info, input: RejectRefundInput) -> RejectRefundResult:
    return await on_refund(  # type: ignore[return-value]
        info, input.refund_id, RefundDecided.of, use_case.reject_refund, input.note
    )

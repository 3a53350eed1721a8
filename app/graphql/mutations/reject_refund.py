from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.mutations._run import internal_id, run
from app.graphql.mutations.approve_refund import RefundDecided
from app.graphql.permissions import IsAgent
from app.graphql.types.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from app.graphql.types.objects import Refund
from domain.usecases import reject_refund as use_case


@strawberry.input(description="A rejection; the note is shown to the customer.")
class RejectRefundInput:
    refund_id: strawberry.ID = strawberry.field(description="Refund.id")
    note: str = strawberry.field(description="Why, for the customer (required).")


RejectRefundResult = Annotated[
    RefundDecided | InvalidTransition | NotFound | ValidationFailed | Conflict,
    strawberry.union("RejectRefundResult", description="The outcome of rejectRefund."),
]


async def reject_refund(
    info: Info,
    input: Annotated[
        RejectRefundInput,
        strawberry.argument(description="Everything rejectRefund needs, in one object."),
    ],
) -> RejectRefundResult:
    principal = info.context.require_principal()

    async def work() -> RefundDecided:
        refund = await use_case.reject_refund(
            info.context.services,
            principal,
            internal_id(input.refund_id, "Refund", "Refund"),
            input.note,
        )
        return RefundDecided(refund=Refund.from_domain(refund))

    return await run(work())  # type: ignore[return-value]


field = strawberry.mutation(
    resolver=reject_refund,
    permission_classes=[IsAgent],
    description="Reject a REQUESTED refund with a note for the customer.",
)

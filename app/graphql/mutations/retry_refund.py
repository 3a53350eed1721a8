from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._refunds import on_refund
from app.graphql.permissions import IsAgent
from app.graphql.types.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    OrderUnavailable,
    RefundNotAllowed,
)
from app.graphql.types.objects import Refund
from domain.usecases import retry_refund as use_case


@strawberry.input(description="The FAILED refund to try again.")
class RetryRefundInput:
    refund_id: strawberry.ID = strawberry.field(description="Refund.id")


@strawberry.type(description="The refund is being paid again (a new attempt).")
class RefundRetried:
    refund: Refund = strawberry.field(
        description="The refund, now PROCESSING again; the worker pays it with a new attempt."
    )


RetryRefundResult = (
    RefundRetried | InvalidTransition | NotFound | RefundNotAllowed | Conflict | OrderUnavailable
)


@mutation(
    permission_classes=[IsAgent],
    description="Agents: pay a FAILED refund again (a new attempt, with a new idempotency key "
    "at the payment gateway). Its amount must still fit in what is left to refund "
    "(RefundNotAllowed EXCEEDS_REFUNDABLE_AMOUNT otherwise). Admins: a PROCESSING refund whose "
    "job is DEAD (deadRefundJobs) runs that job again, same attempt and key (check at the "
    "gateway first: past its 24 h key retention it could pay twice); audited; agents get "
    "FORBIDDEN.",
)
async def retry_refund(info: Info, input: RetryRefundInput) -> RetryRefundResult:
    return await on_refund(  # type: ignore[return-value]
        info,
        input.refund_id,
        lambda refund: RefundRetried(refund=Refund.from_domain(refund)),
        use_case.retry_refund,
    )

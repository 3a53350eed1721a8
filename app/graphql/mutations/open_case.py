from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._idempotency import idempotency_key_field
from app.graphql.mutations._run import internal_id, run
from app.graphql.permissions import IsAuthenticated
from app.graphql.types.common import CaseCategory, CasePriority
from app.graphql.types.errors import (
    IdempotencyKeyReused,
    NotFound,
    OrderUnavailable,
    ValidationFailed,
)
from app.graphql.types.objects import SupportCase
from domain.usecases import open_case as use_case


@strawberry.input(description="A new support case.")
class OpenCaseInput:
    subject: str = strawberry.field(description="One line, 1-200 characters.")
    description: str = strawberry.field(description="What happened, 1-10,000 characters.")
    category: CaseCategory = strawberry.field(description="What the case is about.")
    order_id: strawberry.ID | None = strawberry.field(
        default=None, description="The order it is about (Order.id)."
    )
    priority: CasePriority | None = strawberry.field(
        default=None, description="Agents only; default NORMAL."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Agents only: the customer (User.id) the case is opened for."
    )
    idempotency_key: str | None = idempotency_key_field(unit="case", second="case")


@strawberry.type(description="The case was opened.")
class CaseOpened:
    support_case: SupportCase = strawberry.field(description="The new case.")


OpenCaseResult = CaseOpened | ValidationFailed | NotFound | OrderUnavailable | IdempotencyKeyReused


@mutation(
    permission_classes=[IsAuthenticated],
    description="Open a support case (customers for themselves; agents for a customer).",
)
async def open_case(info: Info, input: OpenCaseInput) -> OpenCaseResult:
    principal = info.context.require_principal()

    async def work() -> CaseOpened:
        command = use_case.OpenCase(
            subject=input.subject,
            description=input.description,
            category=input.category,
            priority=input.priority,
            order_id=internal_id(input.order_id, "Order", "Order") if input.order_id else None,
            customer_id=(
                internal_id(input.customer_id, "User", "Customer") if input.customer_id else None
            ),
        )
        case = await use_case.open_case(
            info.context.services, principal, command, idempotency_key=input.idempotency_key
        )
        return CaseOpened(support_case=SupportCase.from_domain(case))

    return await run(work())  # type: ignore[return-value]

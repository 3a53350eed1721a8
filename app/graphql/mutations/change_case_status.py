from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.mutations._run import internal_id, run
from app.graphql.mutations.assign_case import CaseUpdated
from app.graphql.permissions import IsAuthenticated
from app.graphql.types.common import CaseStatus
from app.graphql.types.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from app.graphql.types.objects import SupportCase
from domain.usecases import change_case_status as use_case


@strawberry.input(description="A status change.")
class ChangeCaseStatusInput:
    case_id: strawberry.ID = strawberry.field(description="SupportCase.id")
    status: CaseStatus = strawberry.field(
        description="The new status (customers: RESOLVED or OPEN to reopen)."
    )


ChangeCaseStatusResult = Annotated[
    CaseUpdated | InvalidTransition | NotFound | ValidationFailed | Conflict,
    strawberry.union("ChangeCaseStatusResult", description="The outcome of changeCaseStatus."),
]


async def change_case_status(
    info: Info,
    input: Annotated[
        ChangeCaseStatusInput,
        strawberry.argument(description="Everything changeCaseStatus needs, in one object."),
    ],
) -> ChangeCaseStatusResult:
    principal = info.context.require_principal()

    async def work() -> CaseUpdated:
        case = await use_case.change_case_status(
            info.context.services,
            principal,
            internal_id(input.case_id, "SupportCase", "Case"),
            input.status,
        )
        return CaseUpdated(support_case=SupportCase.from_domain(case))

    return await run(work())  # type: ignore[return-value]


field = strawberry.mutation(
    resolver=change_case_status,
    permission_classes=[IsAuthenticated],
    description="Move a case through its lifecycle.",
)

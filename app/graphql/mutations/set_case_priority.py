from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.mutations._run import internal_id, run
from app.graphql.mutations.assign_case import CaseUpdated
from app.graphql.permissions import IsAgent
from app.graphql.types.common import CasePriority
from app.graphql.types.errors import Conflict, NotFound, ValidationFailed
from app.graphql.types.objects import SupportCase
from domain.usecases import set_case_priority as use_case


@strawberry.input(description="A priority change.")
class SetCasePriorityInput:
    case_id: strawberry.ID = strawberry.field(description="SupportCase.id")
    priority: CasePriority = strawberry.field(description="The new priority (recomputes SLA).")


SetCasePriorityResult = Annotated[
    CaseUpdated | NotFound | ValidationFailed | Conflict,
    strawberry.union("SetCasePriorityResult", description="The outcome of setCasePriority."),
]


async def set_case_priority(
    info: Info,
    input: Annotated[
        SetCasePriorityInput,
        strawberry.argument(description="Everything setCasePriority needs, in one object."),
    ],
) -> SetCasePriorityResult:
    principal = info.context.require_principal()

    async def work() -> CaseUpdated:
        case = await use_case.set_case_priority(
            info.context.services,
            principal,
            internal_id(input.case_id, "SupportCase", "Case"),
            input.priority,
        )
        return CaseUpdated(support_case=SupportCase.from_domain(case))

    return await run(work())  # type: ignore[return-value]


field = strawberry.mutation(
    resolver=set_case_priority,
    permission_classes=[IsAgent],
    description="Change a case's priority.",
)

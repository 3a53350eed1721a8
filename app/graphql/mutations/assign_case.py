from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.mutations._run import internal_id, run
from app.graphql.permissions import IsAgent
from app.graphql.types.errors import Conflict, NotFound, ValidationFailed
from app.graphql.types.objects import SupportCase
from domain.usecases import assign_case as use_case


@strawberry.input(description="Who should work a case.")
class AssignCaseInput:
    case_id: strawberry.ID = strawberry.field(description="SupportCase.id")
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="An agent's User.id; null to unassign."
    )


@strawberry.type(description="The case was changed.")
class CaseUpdated:
    support_case: SupportCase = strawberry.field(description="The case after the change.")


AssignCaseResult = Annotated[
    CaseUpdated | NotFound | ValidationFailed | Conflict,
    strawberry.union("AssignCaseResult", description="The outcome of assignCase."),
]


async def assign_case(
    info: Info,
    input: Annotated[
        AssignCaseInput,
        strawberry.argument(description="Everything assignCase needs, in one object."),
    ],
) -> AssignCaseResult:
    principal = info.context.require_principal()

    async def work() -> CaseUpdated:
        assignee = internal_id(input.assignee_id, "User", "Agent") if input.assignee_id else None
        case = await use_case.assign_case(
            info.context.services,
            principal,
            internal_id(input.case_id, "SupportCase", "Case"),
            assignee,
        )
        return CaseUpdated(support_case=SupportCase.from_domain(case))

    return await run(work())  # type: ignore[return-value]


field = strawberry.mutation(
    resolver=assign_case, permission_classes=[IsAgent], description="Assign or unassign a case."
)

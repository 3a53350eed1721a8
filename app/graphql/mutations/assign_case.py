from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._cases import CaseUpdated, on_case
from app.graphql.mutations._run import internal_id
from app.graphql.permissions import IsAgent
from app.graphql.types.errors import Conflict, NotFound, ValidationFailed
from domain.usecases import assign_case as use_case


@strawberry.input(description="Who should work a case.")
class AssignCaseInput:
    case_id: strawberry.ID = strawberry.field(description="SupportCase.id")
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="An agent's User.id; null to unassign."
    )


AssignCaseResult = CaseUpdated | NotFound | ValidationFailed | Conflict


@mutation(permission_classes=[IsAgent], description="Assign or unassign a case.")
async def assign_case(info: Info, input: AssignCaseInput) -> AssignCaseResult:
    assignee = input.assignee_id
    return await on_case(  # type: ignore[return-value]
        info,
        input.case_id,
        CaseUpdated.of,
        lambda services, principal, case: use_case.assign_case(
            services, principal, case, internal_id(assignee, "User", "Agent") if assignee else None
        ),
    )

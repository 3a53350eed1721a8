from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._cases import CaseUpdated, on_case
from app.graphql.permissions import IsAgent
from app.graphql.types.common import CasePriority
from app.graphql.types.errors import Conflict, NotFound, ValidationFailed
from domain.usecases import set_case_priority as use_case


@strawberry.input(description="A priority change.")
class SetCasePriorityInput:
    case_id: strawberry.ID = strawberry.field(description="SupportCase.id")
    priority: CasePriority = strawberry.field(description="The new priority (recomputes SLA).")


SetCasePriorityResult = CaseUpdated | NotFound | ValidationFailed | Conflict


@mutation(permission_classes=[IsAgent], description="Change a case's priority.")
async def set_case_priority(info: Info, input: SetCasePriorityInput) -> SetCasePriorityResult:
    return await on_case(  # type: ignore[return-value]
        info, input.case_id, CaseUpdated.of, use_case.set_case_priority, input.priority
    )

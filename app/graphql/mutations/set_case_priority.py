from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._cases import CaseUpdated, on_case
from app.graphql.mutations._run import input_argument, result_union
from app.graphql.permissions import IsAgent
from app.graphql.types.common import CasePriority
from app.graphql.types.errors import Conflict, NotFound, ValidationFailed
from domain.usecases import set_case_priority as use_case


@strawberry.input(description="A priority change.")
class SetCasePriorityInput:
    case_id: strawberry.ID = strawberry.field(description="SupportCase.id")
    priority: CasePriority = strawberry.field(description="The new priority (recomputes SLA).")


SetCasePriorityResult = Annotated[
    CaseUpdated | NotFound | ValidationFailed | Conflict,
    result_union("setCasePriority"),
]


@mutation(permission_classes=[IsAgent], description="Change a case's priority.")
async def set_case_priority(
    info: Info, input: Annotated[SetCasePriorityInput, input_argument("setCasePriority")]
) -> SetCasePriorityResult:
    return await on_case(  # type: ignore[return-value]
        info, input.case_id, CaseUpdated.of, use_case.set_case_priority, input.priority
    )

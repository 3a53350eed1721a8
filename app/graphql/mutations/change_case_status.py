from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._cases import CaseUpdated, on_case
from app.graphql.permissions import IsAuthenticated
from app.graphql.types.common import CaseStatus
from app.graphql.types.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from domain.usecases import change_case_status as use_case


@strawberry.input(description="A status change.")
class ChangeCaseStatusInput:
    case_id: strawberry.ID = strawberry.field(description="SupportCase.id")
    status: CaseStatus = strawberry.field(
        description="The new status (customers: RESOLVED or OPEN to reopen)."
    )


ChangeCaseStatusResult = CaseUpdated | InvalidTransition | NotFound | ValidationFailed | Conflict


@mutation(permission_classes=[IsAuthenticated], description="Move a case through its lifecycle.")
async def change_case_status(info: Info, input: ChangeCaseStatusInput) -> ChangeCaseStatusResult:
    return await on_case(  # type: ignore[return-value]
        info, input.case_id, CaseUpdated.of, use_case.change_case_status, input.status
    )

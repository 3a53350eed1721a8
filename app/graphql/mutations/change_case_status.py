from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._cases import CaseUpdated, on_case
from app.graphql.mutations._run import input_argument, result_union
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


ChangeCaseStatusResult = Annotated[
    CaseUpdated | InvalidTransition | NotFound | ValidationFailed | Conflict,
    result_union("changeCaseStatus"),
]


@mutation(permission_classes=[IsAuthenticated], description="Move a case through its lifecycle.")
async def change_case_status(
    info: Info, input: Annotated[ChangeCaseStatusInput, input_argument("changeCaseStatus")]
) -> ChangeCaseStatusResult:
    return await on_case(  # type: ignore[return-value]
        info, input.case_id, CaseUpdated.of, use_case.change_case_status, input.status
    )

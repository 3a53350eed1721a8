"""What the case mutations share: their success payload and their shape (a staff member or
the customer changes one case, named by SupportCase.id)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from app.graphql.context import Info
from app.graphql.mutations._run import case_id, run_then
from app.graphql.types.errors import Error
from app.graphql.types.objects import SupportCase
from domain.cases import SupportCase as DomainCase
from domain.usecases.services import Services
from domain.users import Principal

CaseChange = Callable[[Services, Principal, str], Awaitable[DomainCase]]


@strawberry.type(description="The case was changed.")
class CaseUpdated:
    support_case: SupportCase = strawberry.field(description="The case after the change.")

    @classmethod
    def of(cls, case: DomainCase) -> CaseUpdated:
        return cls(support_case=SupportCase.from_domain(case))


async def change_case(info: Info, case_gid: str, change: CaseChange) -> CaseUpdated | Error:
    """Run `change(services, principal, internal case id)`: the case after it, or the error."""
    principal = info.context.require_principal()
    return await run_then(
        lambda: change(info.context.services, principal, case_id(case_gid)), CaseUpdated.of
    )

"""What the case mutations share: their success payload and their shape (a staff member or
the customer acts on one case, named by SupportCase.id)."""

from __future__ import annotations

import strawberry

from app.graphql.mutations._objects import OnObject, caller
from app.graphql.mutations._run import case_id
from app.graphql.types.objects import SupportCase
from domain.cases import SupportCase as DomainCase
from domain.users import Principal


@strawberry.type(description="The case was changed.")
class CaseUpdated:
    support_case: SupportCase = strawberry.field(description="The case after the change.")

    @classmethod
    def of(cls, case: DomainCase) -> CaseUpdated:
        return cls(support_case=SupportCase.from_domain(case))


on_case: OnObject[Principal] = OnObject(caller, case_id)

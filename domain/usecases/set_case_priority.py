from __future__ import annotations

from domain.cases import CasePriority, SupportCase
from domain.errors import Forbidden
from domain.usecases.services import Services, change_case
from domain.users import Principal


async def set_case_priority(
    services: Services, principal: Principal, case_id: str, priority: CasePriority
) -> SupportCase:
    if not principal.is_staff:
        raise Forbidden("Only agents can set a case's priority")
    return await change_case(
        services,
        principal,
        case_id,
        lambda case, now: case.set_priority(
            priority, actor=principal, now=now, rules=services.case_rules
        ),
    )

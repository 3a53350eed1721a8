from __future__ import annotations

from domain.cases import CasePriority, SupportCase
from domain.errors import Forbidden
from domain.usecases.services import Services, load_case
from domain.users import Principal


async def set_case_priority(
    services: Services, principal: Principal, case_id: str, priority: CasePriority
) -> SupportCase:
    if not principal.is_staff:
        raise Forbidden("Only agents can set a case's priority")
    async with services.uow() as uow:
        case = await load_case(uow, principal, case_id)
        case.set_priority(
            priority, actor=principal, now=services.clock.now(), rules=services.case_rules
        )
        await uow.cases.save(case)
        await uow.commit()
    await services.publish(uow.committed_events)
    return case

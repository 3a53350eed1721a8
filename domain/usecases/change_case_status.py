from __future__ import annotations

from domain.cases import CaseStatus, SupportCase
from domain.usecases.services import Services, load_case
from domain.users import Principal


async def change_case_status(
    services: Services, principal: Principal, case_id: str, status: CaseStatus
) -> SupportCase:
    async with services.uow() as uow:
        case = await load_case(uow, principal, case_id)
        case.change_status(
            status, actor=principal, now=services.clock.now(), rules=services.case_rules
        )
        await uow.cases.save(case)
        await uow.commit()
    await services.publish(uow.committed_events)
    return case

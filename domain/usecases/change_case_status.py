from __future__ import annotations

from domain.cases import CaseStatus, SupportCase
from domain.usecases.services import Services, change_case
from domain.users import Principal


async def change_case_status(
    services: Services, principal: Principal, case_id: str, status: CaseStatus
) -> SupportCase:
    return await change_case(
        services,
        principal,
        case_id,
        lambda case, now: case.change_status(
            status, actor=principal, now=now, rules=services.case_rules
        ),
    )

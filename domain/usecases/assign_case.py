from __future__ import annotations

from domain.cases import SupportCase
from domain.errors import Forbidden, NotFound
from domain.usecases.services import Services, load_case
from domain.users import Principal


async def assign_case(
    services: Services, principal: Principal, case_id: str, assignee_id: str | None
) -> SupportCase:
    if not principal.is_staff:
        raise Forbidden("Only agents can assign cases")
    async with services.uow() as uow:
        case = await load_case(uow, principal, case_id)
        assignee_name: str | None = None
        if assignee_id is not None:
            assignee = await uow.users.get(assignee_id)
            if assignee is None or not assignee.role.is_staff or not assignee.active:
                raise NotFound("Agent")
            assignee_name = assignee.name
        case.assign(
            assignee_id, assignee_name=assignee_name, actor=principal, now=services.clock.now()
        )
        await uow.cases.save(case)
        await uow.commit()
    await services.publish(uow.committed_events)
    return case

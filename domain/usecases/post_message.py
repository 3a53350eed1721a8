from __future__ import annotations

from domain.cases import Message, SupportCase
from domain.errors import Forbidden
from domain.usecases.services import Services, load_case
from domain.users import Principal


async def post_message(
    services: Services, principal: Principal, case_id: str, body: str, *, internal: bool = False
) -> tuple[Message, SupportCase]:
    if internal and not principal.is_staff:  # a role decision: the same for every case
        raise Forbidden("Customers cannot write internal notes")
    async with services.uow() as uow:
        case = await load_case(uow, principal, case_id)
        message = case.post_message(
            body, internal=internal, author=principal, now=services.clock.now()
        )
        await uow.messages.add(message)
        await uow.cases.save(case)
        await uow.commit()
    await services.publish(uow.committed_events)
    return message, case

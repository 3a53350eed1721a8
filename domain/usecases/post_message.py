from __future__ import annotations

from domain.cases import Message, SupportCase, new_id
from domain.errors import Forbidden, NotFound
from domain.idempotency import IdempotencyRecord
from domain.usecases.idempotent import IdempotentCall
from domain.usecases.services import Services, load_case
from domain.users import Principal

OPERATION = "postMessage"


async def replay_posted_message(
    services: Services, principal: Principal, record: IdempotencyRecord
) -> tuple[Message, SupportCase]:
    """What an idempotent operation that posted a message answers again: that message and its
    case as it is now (postMessage, applyMacro)."""
    message = await services.reads.get_message(record.result_id)
    if message is None:
        raise NotFound("Message")  # cannot happen: the key and its message commit together
    async with services.uow() as uow:
        case = await load_case(uow, principal, message.case_id)
    return message, case


async def post_message(
    services: Services,
    principal: Principal,
    case_id: str,
    body: str,
    *,
    internal: bool = False,
    idempotency_key: str | None = None,
) -> tuple[Message, SupportCase]:
    if internal and not principal.is_staff:  # a role decision: the same for every case
        raise Forbidden("Customers cannot write internal notes")
    call = IdempotentCall.of(
        principal,
        OPERATION,
        idempotency_key,
        {"case_id": case_id, "body": body, "internal": internal},
    )
    if call is not None and (seen := await call.seen_before(services)) is not None:
        return await replay_posted_message(services, principal, seen)
    message_id = new_id()
    now = services.clock.now()
    async with services.uow() as uow:
        if (
            call is not None
            and (earlier := await call.claim(uow, result_id=message_id, now=now)) is not None
        ):
            return await replay_posted_message(services, principal, earlier)
        case = await load_case(uow, principal, case_id)
        message = case.post_message(
            body, internal=internal, author=principal, now=now, message_id=message_id
        )
        await uow.messages.add(message)
        await uow.cases.save(case)
        await uow.commit()
    await services.publish(uow.committed_events)
    return message, case

"""Preview a macro on a case, and apply it: post the rendered text as a reply or an internal
note and, optionally, change the case's status, in one transaction (both or neither)."""

from __future__ import annotations

from domain.cases import CaseStatus, Message, SupportCase, new_id
from domain.errors import NotFound, OrderSystemUnavailable, ValidationFailed
from domain.macros import CaseFacts, Macro, Rendered, check_body, placeholders_in, render
from domain.macros import require_staff as require_macro_user
from domain.money import Money
from domain.orders import Order
from domain.ports import UnitOfWork
from domain.refunds import refundable_remainder
from domain.usecases.idempotent import IdempotentCall
from domain.usecases.order_access import OrderUnavailable
from domain.usecases.post_message import replay_posted_message
from domain.usecases.services import Services, load_case
from domain.users import Principal, User

OPERATION = "applyMacro"


async def _macro(uow: UnitOfWork, macro_id: str) -> Macro:
    macro = await uow.macros.get(macro_id)
    if macro is None:
        raise NotFound("Macro")
    return macro


async def _people(uow: UnitOfWork, case: SupportCase, principal: Principal) -> tuple[User, User]:
    customer = await uow.users.get(case.customer_id)
    agent = await uow.users.get(principal.user_id)
    if customer is None or agent is None:  # pragma: no cover - foreign keys keep them
        raise NotFound("User")
    return customer, agent


async def _order_facts(
    services: Services, case: SupportCase, body: str
) -> tuple[Order | None, Money | None]:
    """The case's order and what is left to refund on it, read only when `body` needs them
    (and outside any transaction: the order system is never called inside one)."""
    if case.order_id is None or not any(p.needs_order for p in placeholders_in(body)):
        return None, None
    try:
        order = (await services.orders.get_orders([case.order_id])).get(case.order_id)
    except OrderSystemUnavailable as exc:
        raise OrderUnavailable() from exc
    if order is None:
        return None, None
    refunds = (await services.reads.refunds_for_orders([order.id])).get(order.id, [])
    return order, refundable_remainder(order, refunds)


async def preview_macro(
    services: Services,
    principal: Principal,
    case_id: str,
    *,
    macro_id: str | None = None,
    body: str | None = None,
) -> Rendered:
    """The text `macro_id` (or an unsaved `body`) would post on the case, filled from it."""
    require_macro_user(principal)
    if (macro_id is None) == (body is None):
        raise ValidationFailed.single("macroId", "give either a macro or a body")
    async with services.uow() as uow:
        case = await load_case(uow, principal, case_id)
        text = (
            (await _macro(uow, macro_id)).body if macro_id is not None else check_body(body or "")
        )
        customer, agent = await _people(uow, case, principal)
    order, refundable = await _order_facts(services, case, text)
    return render(text, CaseFacts(case, customer, agent, order, refundable))


async def apply_macro(
    services: Services,
    principal: Principal,
    case_id: str,
    macro_id: str,
    *,
    internal: bool = False,
    status: CaseStatus | None = None,
    idempotency_key: str | None = None,
) -> tuple[Message, SupportCase]:
    """Post the macro, filled from the case, as a reply (or an internal note) and move the case
    to `status` (unless it is there already), committed together: if the status change is not
    allowed, no message is posted either."""
    require_macro_user(principal)
    payload = {"case_id": case_id, "macro_id": macro_id, "internal": internal, "status": status}
    call = IdempotentCall.of(principal, OPERATION, idempotency_key, payload)
    if call is not None and (seen := await call.seen_before(services)) is not None:
        return await replay_posted_message(services, principal, seen)
    async with services.uow() as uow:  # what the order facts depend on, read first
        case = await load_case(uow, principal, case_id)
        macro = await _macro(uow, macro_id)
    order, refundable = await _order_facts(services, case, macro.body)
    message_id = new_id()
    now = services.clock.now()
    async with services.uow() as uow:
        if (
            call is not None
            and (earlier := await call.claim(uow, result_id=message_id, now=now)) is not None
        ):
            return await replay_posted_message(services, principal, earlier)
        case = await load_case(uow, principal, case_id)
        macro = await _macro(uow, macro_id)
        customer, agent = await _people(uow, case, principal)
        rendered = render(macro.body, CaseFacts(case, customer, agent, order, refundable))
        message = case.post_message(
            rendered.body, internal=internal, author=principal, now=now, message_id=message_id
        )
        if status is not None and status is not case.status:
            case.change_status(status, actor=principal, now=now, rules=services.case_rules)
        await uow.messages.add(message)
        await uow.cases.save(case)
        await uow.commit()
    await services.publish(uow.committed_events)
    return message, case

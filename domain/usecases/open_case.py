from __future__ import annotations

from dataclasses import dataclass

from domain.cases import CaseCategory, CasePriority, SupportCase, new_id
from domain.errors import Forbidden, NotFound, OrderSystemUnavailable, ValidationFailed
from domain.idempotency import IdempotencyRecord
from domain.usecases.idempotent import IdempotentCall
from domain.usecases.order_access import OrderUnavailable
from domain.usecases.services import Services, load_case
from domain.users import Principal, Role


@dataclass(frozen=True, slots=True)
class OpenCase:
    subject: str
    description: str
    category: CaseCategory
    order_id: str | None = None
    priority: CasePriority | None = None
    # Staff open cases on behalf of a customer (a phone call, an email); customers leave it None.
    customer_id: str | None = None


OPERATION = "openCase"


def _payload(command: OpenCase) -> dict[str, object]:
    return {
        "subject": command.subject,
        "description": command.description,
        "category": command.category.value,
        "order_id": command.order_id,
        "priority": command.priority.value if command.priority is not None else None,
        "customer_id": command.customer_id,
    }


async def _replay(
    services: Services, principal: Principal, record: IdempotencyRecord
) -> SupportCase:
    async with services.uow() as uow:
        return await load_case(uow, principal, record.result_id)


async def open_case(
    services: Services,
    principal: Principal,
    command: OpenCase,
    *,
    idempotency_key: str | None = None,
) -> SupportCase:
    if not principal.is_staff and command.priority is not None:
        raise Forbidden("Customers cannot set a case's priority")
    if not principal.is_staff and command.customer_id not in (None, principal.user_id):
        raise Forbidden("Customers open cases for themselves only")
    if principal.is_staff and command.customer_id is None:
        raise ValidationFailed.single("customerId", "agents open cases on behalf of a customer")
    customer_id = command.customer_id or principal.user_id
    call = IdempotentCall.of(principal, OPERATION, idempotency_key, _payload(command))
    if call is not None and (seen := await call.seen_before(services)) is not None:
        return await _replay(services, principal, seen)

    case_id = new_id()
    async with services.uow() as uow:
        if (
            call is not None
            and (earlier := await call.claim(uow, result_id=case_id, now=services.clock.now()))
            is not None
        ):
            return await _replay(services, principal, earlier)
        customer = await uow.users.get(customer_id)
        if customer is None or customer.role is not Role.CUSTOMER:
            raise NotFound("Customer")
        order_number: str | None = None
        if command.order_id is not None:
            try:
                orders = await services.orders.get_orders([command.order_id])
            except OrderSystemUnavailable as exc:
                raise OrderUnavailable() from exc
            order = orders.get(command.order_id)
            if order is None or order.customer_id != customer.external_customer_id:
                raise NotFound("Order")
            order_number = order.number
        case = SupportCase.open(
            customer_id=customer_id,
            subject=command.subject,
            description=command.description,
            category=command.category,
            priority=command.priority or CasePriority.NORMAL,
            order_id=command.order_id,
            now=services.clock.now(),
            rules=services.case_rules,
            case_id=case_id,
            order_number=order_number,
        )
        await uow.cases.add(case)
        await uow.commit()
    await services.publish(uow.committed_events)
    return case

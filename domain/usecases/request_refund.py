"""A customer (or an agent for them) asks for money back on the order of a case."""

from __future__ import annotations

from datetime import timedelta

from domain import visibility
from domain.cases import new_id
from domain.errors import (
    NotFound,
    OrderSystemUnavailable,
    RefundDenial,
    RefundNotAllowed,
)
from domain.idempotency import IdempotencyRecord
from domain.money import Money
from domain.orders import Order
from domain.refunds import (
    Refund,
    RefundApproval,
    RefundRequest,
    auto_approval_applies,
    eligibility_denial,
    price_request,
    request_denial,
)
from domain.usecases.idempotent import IdempotentCall
from domain.usecases.services import Services, load_case
from domain.users import Principal

OPERATION = "requestRefund"


def _payload(case_id: str, request: RefundRequest) -> dict[str, object]:
    """What makes two requestRefund calls "the same input" for an idempotency key."""
    return {
        "case_id": case_id,
        "reason": request.reason.value,
        "amount": request.amount,
        "lines": [[line.line_id, line.quantity] for line in request.lines],
        "include_shipping": request.include_shipping,
        "note": request.note,
    }


async def _replay(services: Services, principal: Principal, record: IdempotencyRecord) -> Refund:
    """The first result of an idempotency key."""
    async with services.uow() as uow:
        refund = await uow.refunds.get(record.result_id)
    if refund is None or not visibility.may_see_refund(principal, refund):
        raise NotFound("Refund")  # cannot happen: the key and its refund commit together
    return refund


async def request_refund(
    services: Services,
    principal: Principal,
    case_id: str,
    request: RefundRequest,
    *,
    idempotency_key: str | None = None,
) -> Refund:
    policy = services.refund_policy
    call = IdempotentCall.of(principal, OPERATION, idempotency_key, _payload(case_id, request))
    # A key seen before answers with its first result, before any rule is applied again (the
    # first request itself may now count against the daily limit, for instance).
    if call is not None and (seen := await call.seen_before(services)) is not None:
        return await _replay(services, principal, seen)

    # Look the case up first so that someone else's case is NotFound before anything else.
    async with services.uow() as uow:
        case = await load_case(uow, principal, case_id)
        if case.order_id is None:
            raise RefundNotAllowed(RefundDenial.CASE_HAS_NO_ORDER)
        customer = await uow.users.get(case.customer_id)
    order_id = case.order_id

    # A refund decision needs a fresh read of the order, made outside any transaction.
    try:
        order: Order | None = (await services.orders.get_orders_fresh([order_id])).get(order_id)
    except OrderSystemUnavailable:
        raise RefundNotAllowed(RefundDenial.ORDER_UNAVAILABLE) from None
    if order is not None and order.stale:  # never decide money on a cached copy
        raise RefundNotAllowed(RefundDenial.ORDER_UNAVAILABLE)
    if order is None or customer is None or order.customer_id != customer.external_customer_id:
        raise RefundNotAllowed(RefundDenial.ORDER_UNAVAILABLE)

    priced = price_request(request, order)
    now = services.clock.now()
    early = eligibility_denial(order, request.reason, now, policy)
    if early is not None:
        raise RefundNotAllowed(early)

    refund_id = new_id()
    async with services.uow() as uow:
        # First statement of the transaction: of concurrent calls with one key, the others wait
        # here for the first to end, then replay its result (or run, if it failed).
        if (
            call is not None
            and (earlier := await call.claim(uow, result_id=refund_id, now=now)) is not None
        ):
            return await _replay(services, principal, earlier)
        recent = await uow.refunds.count_requested_since(case.customer_id, now - timedelta(days=1))
        if recent >= policy.requests_per_day:
            raise RefundNotAllowed(RefundDenial.TOO_MANY_REQUESTS)
        # The guard lives in the database: the reservation is a conditional update that can never
        # take the order past its total, and it locks the order's ledger row until we commit, so
        # the checks below see every refund that committed before us.
        reserved = await uow.ledger.reserve(order.id, order.total, priced.amount)
        existing = await uow.refunds.list_for_order(order.id)
        denial = request_denial(order, request, priced, existing, now, policy)
        if denial is None and not reserved:
            denial = RefundDenial.EXCEEDS_REFUNDABLE_AMOUNT
        if denial is not None:
            raise RefundNotAllowed(denial)  # rolls the reservation (and the key) back

        refund = Refund.request(
            case_id=case.id,
            order=order,
            customer_id=case.customer_id,
            requested_by=principal,
            request=request,
            priced=priced,
            now=now,
            refund_id=refund_id,
        )
        granted = await uow.refunds.count_granted_since(
            case.customer_id, now - policy.auto_approve_lookback
        )
        job = None
        if auto_approval_applies(priced.amount, granted, policy):
            limit = Money(policy.auto_approve_max_minor, order.currency)
            refund.approve(
                approval=RefundApproval.AUTO_POLICY,
                decided_by_id=None,
                note=(
                    f"Approved automatically: at most {limit.formatted()} and fewer than "
                    f"{policy.auto_approve_max_recent_refunds} refunds in "
                    f"{policy.auto_approve_lookback.days} days"
                ),
                now=now,
            )
            job = refund.queue_payment(
                payment_reference=order.payment_reference, actor_id=None, now=now
            )
        await uow.refunds.add(refund)
        if job is not None:  # the policy's decision and its outbox job commit together
            await uow.refund_jobs.enqueue(job)
        await uow.commit()
    await services.publish(uow.committed_events)
    return refund

"""An agent retries a FAILED refund: a new attempt (new gateway idempotency key), PROCESSING.

A refund left PROCESSING by a DEAD job (the worker gave up: domain.refund_jobs) is retried by
running that job again, same attempt and key: admins only, audited
(domain.usecases.ops.retry_dead_refund_job)."""

from __future__ import annotations

from domain.admin import AdminActor
from domain.cases import refund_pause_reason
from domain.errors import Forbidden, OrderSystemUnavailable, RefundDenial, RefundNotAllowed
from domain.orders import OrderStatus
from domain.refunds import Refund, RefundStatus, refunded_quantities, shipping_refunded
from domain.usecases.ops import dead_job_of, retry_dead_refund_job
from domain.usecases.services import Services, load_refund
from domain.users import Principal


async def retry_refund(services: Services, principal: Principal, refund_id: str) -> Refund:
    if not principal.is_staff:
        raise Forbidden("Only agents and admins retry refunds")
    async with services.uow() as uow:
        refund = await load_refund(uow, principal, refund_id)
        dead = await dead_job_of(uow, refund.id)
    if refund.status is RefundStatus.PROCESSING and dead is not None:
        await retry_dead_refund_job(services, AdminActor.of(principal), refund.id)
        return refund
    # Like an approval: decide on a fresh read of the order (cancelled orders are refunded by the
    # order system; the job needs the charge's payment reference).
    try:
        order = (await services.orders.get_orders_fresh([refund.order_id])).get(refund.order_id)
    except OrderSystemUnavailable:
        raise RefundNotAllowed(RefundDenial.ORDER_UNAVAILABLE) from None
    if order is None or order.stale:
        raise RefundNotAllowed(RefundDenial.ORDER_UNAVAILABLE)
    if order.status is OrderStatus.CANCELLED:
        raise RefundNotAllowed(RefundDenial.ORDER_CANCELLED)

    async with services.uow() as uow:
        # Lock order everywhere: refund, then case, then the order's ledger row, then jobs.
        refund = await load_refund(uow, principal, refund_id, for_update=True)
        now = services.clock.now()
        job = refund.retry(by=principal, payment_reference=order.payment_reference, now=now)
        case = await uow.cases.get(refund.case_id, for_update=True)
        # FAILED released the money: it must fit again, next to what was refunded since.
        others = [r for r in await uow.refunds.list_for_order(order.id) if r.id != refund.id]
        already = refunded_quantities(others)
        for line in refund.lines:
            order_line = order.line(line.line_id)
            if order_line is None or already.get(line.line_id, 0) + line.quantity > (
                order_line.quantity
            ):
                raise RefundNotAllowed(RefundDenial.LINE_QUANTITY_EXCEEDED)
        if refund.include_shipping and shipping_refunded(others):
            raise RefundNotAllowed(RefundDenial.SHIPPING_ALREADY_REFUNDED)
        if not await uow.ledger.reserve(order.id, order.total, refund.amount):
            raise RefundNotAllowed(RefundDenial.EXCEEDS_REFUNDABLE_AMOUNT)
        if case is not None:
            case.pause_sla(now, refund_pause_reason(refund.id))
            await uow.cases.save(case)
        await uow.refunds.save(refund)
        await uow.refund_jobs.enqueue(job)
        await uow.commit()
    await services.publish(uow.committed_events)
    return refund

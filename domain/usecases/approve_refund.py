from __future__ import annotations

from domain.errors import Forbidden, OrderSystemUnavailable, RefundDenial, RefundNotAllowed
from domain.orders import OrderStatus
from domain.refunds import Refund, approval_for
from domain.usecases.services import Services, load_refund
from domain.users import Principal


async def approve_refund(
    services: Services, principal: Principal, refund_id: str, note: str | None
) -> Refund:
    if not principal.is_staff:
        raise Forbidden("Only agents and admins decide refunds")
    async with services.uow() as uow:
        refund = await load_refund(uow, principal, refund_id)
        approval = approval_for(principal, refund.amount, services.refund_policy)
    # Decide on a fresh read of the order: a cancelled order is refunded by the order system.
    try:
        order = (await services.orders.get_orders_fresh([refund.order_id])).get(refund.order_id)
    except OrderSystemUnavailable:
        raise RefundNotAllowed(RefundDenial.ORDER_UNAVAILABLE) from None
    if order is None or order.stale:  # the job needs the order's payment reference
        raise RefundNotAllowed(RefundDenial.ORDER_UNAVAILABLE)
    if order.status is OrderStatus.CANCELLED:
        raise RefundNotAllowed(RefundDenial.ORDER_CANCELLED)

    async with services.uow() as uow:
        refund = await load_refund(uow, principal, refund_id, for_update=True)
        now = services.clock.now()
        refund.approve(approval=approval, decided_by_id=principal.user_id, note=note, now=now)
        # The decision and its outbox job commit together (the refund worker pays it).
        job = refund.queue_payment(
            payment_reference=order.payment_reference, actor_id=principal.user_id, now=now
        )
        await uow.refunds.save(refund)  # optimistic: a concurrent decision makes this fail
        await uow.refund_jobs.enqueue(job)
        await uow.commit()
    await services.publish(uow.committed_events)
    return refund

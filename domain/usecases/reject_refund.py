from __future__ import annotations

from domain.errors import Forbidden
from domain.refunds import Refund
from domain.usecases.services import Services, load_refund
from domain.users import Principal


async def reject_refund(
    services: Services, principal: Principal, refund_id: str, note: str
) -> Refund:
    if not principal.is_staff:
        raise Forbidden("Only agents and admins decide refunds")
    async with services.uow() as uow:
        refund = await load_refund(uow, principal, refund_id, for_update=True)
        refund.reject(decided_by=principal, note=note, now=services.clock.now())
        await uow.refunds.save(refund)
        await uow.ledger.release(refund.order_id, refund.amount)
        await uow.commit()
    await services.publish(uow.committed_events)
    return refund

from __future__ import annotations

from domain.errors import Forbidden
from domain.refunds import Refund
from domain.usecases.services import Services, load_refund
from domain.users import Principal


async def cancel_refund(services: Services, principal: Principal, refund_id: str) -> Refund:
    """The customer withdraws a refund request that is still waiting for a decision."""
    # A role decision first, like every other use case: it must not depend on the refund.
    if principal.is_staff:
        raise Forbidden("Agents reject refunds; only the customer cancels their request")
    async with services.uow() as uow:
        refund = await load_refund(uow, principal, refund_id, for_update=True)
        refund.cancel(by=principal, now=services.clock.now())
        await uow.refunds.save(refund)
        await uow.ledger.release(refund.order_id, refund.amount)
        await uow.commit()
    await services.publish(uow.committed_events)
    return refund

"""Operations: what is waiting in the queues (metrics, admins, the operator CLI)."""

from __future__ import annotations

from domain.refund_jobs import RefundQueueDepths
from domain.usecases.services import Services


async def refund_queue_depths(services: Services) -> RefundQueueDepths:
    async with services.uow() as uow:
        return await uow.refund_jobs.depths(services.clock.now())

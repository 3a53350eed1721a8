"""The webhook worker loop: sends outbound webhook deliveries from the outbox
(domain.usecases.outbound_webhooks.run_next_webhook_delivery).

Run by `python -m app.worker` next to the refund worker (production: M processes) and, in the
embedded mode, as a background task of the API process (app.composition.http's lifespan).
Several loops and processes may run at once: deliveries are leased, never shared.

Shutdown (`stop()`): no new delivery is claimed; an attempt in flight is finished and recorded
(bounded by the webhook timeout); what is still running after the grace period is cancelled and
its lease expires, so another worker sends it again (same webhook-id).
"""

from __future__ import annotations

from app.polling_worker import Polling, PollingWorker, worker_identity
from domain.usecases.outbound_webhooks import DeliveryAttempt, run_next_webhook_delivery
from domain.usecases.services import Services


class WebhookWorker(PollingWorker[DeliveryAttempt]):
    kind = "webhook"
    unit = "attempt"

    def __init__(self, services: Services, polling: Polling) -> None:
        if services.webhooks is None or services.webhook_sender is None:
            raise ValueError("the webhook worker needs Services.webhooks and webhook_sender")
        super().__init__(polling, identity=f"webhooks:{worker_identity()}", on_done=None)
        self.services = services

    async def step(self, owner: str) -> DeliveryAttempt | None:
        return await run_next_webhook_delivery(self.services, owner)

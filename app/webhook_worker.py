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

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from app.refund_worker import worker_identity
from domain.usecases.outbound_webhooks import DeliveryAttempt, run_next_webhook_delivery
from domain.usecases.services import Services

log = logging.getLogger("webhooks.worker")


class WebhookWorker:
    def __init__(
        self,
        services: Services,
        *,
        poll_seconds: float = 1.0,
        concurrency: int = 1,
        shutdown_grace_seconds: float = 15.0,
        identity: str | None = None,
        on_attempt: Callable[[DeliveryAttempt], None] | None = None,
    ) -> None:
        if services.webhooks is None or services.webhook_sender is None:
            raise ValueError("the webhook worker needs Services.webhooks and webhook_sender")
        self.services = services
        self.poll_seconds = poll_seconds
        self.concurrency = concurrency
        self.shutdown_grace_seconds = shutdown_grace_seconds
        self.identity = identity or f"webhooks:{worker_identity()}"
        self.on_attempt = on_attempt
        self.attempts = 0
        self._stopping = asyncio.Event()
        self._wakeup = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    def wake(self) -> None:
        """Look for due deliveries now instead of at the next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        loops = [
            asyncio.create_task(self._loop(f"{self.identity}:{i}"), name=f"webhook-worker-{i}")
            for i in range(self.concurrency)
        ]
        log.info("webhook worker %s started (%d loop(s))", self.identity, self.concurrency)
        try:
            await self._stopping.wait()
            _, pending = await asyncio.wait(loops, timeout=self.shutdown_grace_seconds)
            if pending:
                log.warning(
                    "webhook worker %s: %d attempt(s) cancelled at shutdown (their leases "
                    "expire and they are sent again)",
                    self.identity,
                    len(pending),
                )
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            log.info("webhook worker %s stopped after %d attempt(s)", self.identity, self.attempts)

    async def _loop(self, owner: str) -> None:
        while not self._stopping.is_set():
            try:
                attempt = await run_next_webhook_delivery(self.services, owner)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - e.g. the database restarting: keep going
                log.exception("webhook worker %s: step failed; retrying shortly", owner)
                attempt = None
            if attempt is not None:
                self.attempts += 1
                if self.on_attempt is not None:
                    self.on_attempt(attempt)
                continue  # more may be due: no pause
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wakeup.wait()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[WebhookWorker]:
        """Run in the background for the duration of the block."""
        task = asyncio.create_task(self.run(), name="webhook-worker")
        try:
            yield self
        finally:
            self.stop()
            try:
                await task
            except asyncio.CancelledError:
                task.cancel()
                raise

"""Periodic jobs that are not requests: SLA breaches are announced, resolved cases are closed
once the auto-close period has passed (DOMAIN.md), and expired bookkeeping is pruned
(domain.retention) every `retention_interval_seconds`.

Started by the embedded app's lifespan (app.main, when `run_sla_scheduler` is on: by default in
embedded mode) and by the worker process (`async with case_scheduler(runtime).running(): ...`,
see app.main.case_scheduler). Several running at once is safe: every breach is announced once
(domain.usecases.sla).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from app.observability.metrics import observe_pruned
from domain.ports import SlaBreachLog
from domain.retention import PruneCounts, RetentionPolicy
from domain.usecases.auto_close import close_resolved_cases
from domain.usecases.prune import RetentionStore, prune_expired
from domain.usecases.services import Services
from domain.usecases.sla import DEFAULT_BATCH, announce_sla_breaches

log = logging.getLogger("app.scheduler")


class CaseScheduler:
    def __init__(
        self,
        services: Services,
        breaches: SlaBreachLog,
        *,
        interval_seconds: float = 30.0,
        batch_size: int = DEFAULT_BATCH,
        retention: RetentionStore | None = None,
        retention_policy: RetentionPolicy | None = None,
        retention_interval_seconds: float = 3600.0,
    ) -> None:
        self.services = services
        self.breaches = breaches
        self.interval_seconds = interval_seconds
        self.batch_size = batch_size
        self.retention = retention
        self.retention_policy = retention_policy or RetentionPolicy()
        self.retention_interval_seconds = retention_interval_seconds
        self._next_prune = 0.0  # monotonic time of the next pruning pass (0: at the first pass)

    async def run_once(self) -> int:
        """One pass; returns how many breaches were announced. A full batch is followed at once
        by another pass, so a backlog drains without waiting for the interval."""
        total = 0
        while True:
            announced = await announce_sla_breaches(
                self.services, self.breaches, limit=self.batch_size
            )
            total += len(announced)
            if len(announced) < self.batch_size:
                break
        closed = await self.close_due_cases()
        if closed:
            log.info("closed %d resolved case(s) after the auto-close period", closed)
        if self.retention is not None and time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + self.retention_interval_seconds
            await self.prune()
        return total

    async def prune(self) -> PruneCounts:
        """Forgets what is past its retention now; logs how much of each kind went."""
        assert self.retention is not None
        counts = await prune_expired(self.retention, self.retention_policy, self.services.clock)
        observe_pruned(
            {
                "idempotency_keys": counts.idempotency_keys,
                "webhook_deliveries": counts.webhook_deliveries,
                "refresh_tokens": counts.refresh_tokens,
                "outbound_webhook_deliveries": counts.outbound_deliveries,
            }
        )
        if counts.total:
            log.info(
                "pruned %d idempotency key(s), %d webhook delivery id(s), %d refresh token(s), "
                "%d finished outbound webhook delivery(ies)",
                counts.idempotency_keys,
                counts.webhook_deliveries,
                counts.refresh_tokens,
                counts.outbound_deliveries,
            )
        return counts

    async def close_due_cases(self) -> int:
        """Closes every resolved case past the auto-close period; returns how many."""
        total = 0
        while True:
            closed = await close_resolved_cases(self.services, limit=self.batch_size)
            total += len(closed)
            if len(closed) < self.batch_size:
                return total

    async def run_forever(self) -> None:
        while True:
            try:
                count = await self.run_once()
                if count:
                    log.info("announced %d SLA breach(es)", count)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the loop outlives a failed pass (e.g. DB restart)
                log.exception(
                    "case scheduler pass failed; retrying in %.0f s", self.interval_seconds
                )
            await asyncio.sleep(self.interval_seconds)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[CaseScheduler]:
        task = asyncio.create_task(self.run_forever(), name="case-scheduler")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

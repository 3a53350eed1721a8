"""Periodic jobs that are not requests: SLA breaches are announced, and resolved cases are
closed once the auto-close period has passed (DOMAIN.md).

Started by the embedded app's lifespan (app.main, when `run_sla_scheduler` is on: by default in
embedded mode) and by the worker process (`async with sla_scheduler(runtime).running(): ...`,
see app.main.sla_scheduler). Several running at once is safe: every breach is announced once
(domain.usecases.sla).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from domain.ports import SlaBreachLog
from domain.usecases.auto_close import close_resolved_cases
from domain.usecases.services import Services
from domain.usecases.sla import DEFAULT_BATCH, announce_sla_breaches

log = logging.getLogger("app.scheduler")


class SlaScheduler:
    def __init__(
        self,
        services: Services,
        breaches: SlaBreachLog,
        *,
        interval_seconds: float = 30.0,
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        self.services = services
        self.breaches = breaches
        self.interval_seconds = interval_seconds
        self.batch_size = batch_size

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
        return total

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
                    "SLA scheduler pass failed; retrying in %.0f s", self.interval_seconds
                )
            await asyncio.sleep(self.interval_seconds)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[SlaScheduler]:
        task = asyncio.create_task(self.run_forever(), name="sla-scheduler")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

"""The refund worker loop: claims refund jobs and executes them (domain.usecases.execute_refund).

Run by `python -m app.worker` (production: M processes) and, in the embedded mode, as a background
task of the API process (app.main, `run_embedded_worker`). Several loops (`concurrency`) and any
number of processes may run at once: jobs are leased, never shared.

Shutdown (`stop()`, or SIGTERM/SIGINT in app.worker): no new job is claimed; a job claimed but not
yet sent to the gateway is released at once (its lease freed, so another worker takes it now);
a gateway call in flight is finished and recorded (it is bounded by the gateway timeout). What is
still running after `shutdown_grace_seconds` is cancelled: its lease expires and another worker
takes the job over, calling the gateway again with the same key.

Crash checkpoints (`crash_hook`, setting REFUND_WORKER_CRASH_AT, a test hook): the process
SIGKILLs itself at "claimed", "sent" or "answered", after writing one line to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import uuid
from collections.abc import AsyncIterator, Callable

from domain.usecases.execute_refund import CHECKPOINTS, Checkpoint, JobResult, run_next_refund_job
from domain.usecases.services import Services

log = logging.getLogger("refunds.worker")


def worker_identity() -> str:
    """host:pid:random, the lease owner prefix of one worker process."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def crash_hook(crash_at: str | None) -> Checkpoint | None:
    """The SIGKILL checkpoint of REFUND_WORKER_CRASH_AT (None when unset)."""
    if crash_at is None:
        return None
    if crash_at not in CHECKPOINTS:
        raise ValueError(f"unknown refund worker checkpoint {crash_at!r}")

    def hit(name: str, key: str) -> None:
        if name != crash_at:
            return
        line = f"refund worker {os.getpid()}: CRASH CHECKPOINT {name} {key}\n"
        os.write(2, line.encode())
        os.kill(os.getpid(), signal.SIGKILL)

    return hit


class RefundWorker:
    def __init__(
        self,
        services: Services,
        *,
        poll_seconds: float = 1.0,
        concurrency: int = 1,
        shutdown_grace_seconds: float = 30.0,
        checkpoint: Checkpoint | None = None,
        identity: str | None = None,
        on_result: Callable[[JobResult], None] | None = None,
    ) -> None:
        if services.payments is None:
            raise ValueError("the refund worker needs Services.payments")
        self.services = services
        self.poll_seconds = poll_seconds
        self.concurrency = concurrency
        self.shutdown_grace_seconds = shutdown_grace_seconds
        self.checkpoint = checkpoint
        self.identity = identity or worker_identity()
        self.on_result = on_result
        self.jobs_run = 0
        self._stopping = asyncio.Event()
        self._wakeup = asyncio.Event()

    def stop(self) -> None:
        """Ask the loops to finish (see the module docstring)."""
        self._stopping.set()
        self._wakeup.set()

    def wake(self) -> None:
        """Look for jobs now instead of at the next poll (e.g. right after an approval)."""
        self._wakeup.set()

    async def run(self) -> None:
        """Run until stop(); then wait up to the grace period for jobs in hand."""
        loops = [
            asyncio.create_task(self._loop(f"{self.identity}:{i}"), name=f"refund-worker-{i}")
            for i in range(self.concurrency)
        ]
        log.info("refund worker %s started (%d loop(s))", self.identity, self.concurrency)
        try:
            await self._stopping.wait()
            _, pending = await asyncio.wait(loops, timeout=self.shutdown_grace_seconds)
            if pending:
                log.warning(
                    "refund worker %s: %d job(s) still running after %.0f s: cancelled "
                    "(their leases expire and another worker takes them over)",
                    self.identity,
                    len(pending),
                    self.shutdown_grace_seconds,
                )
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            log.info("refund worker %s stopped after %d job(s)", self.identity, self.jobs_run)

    async def _loop(self, owner: str) -> None:
        checkpoint = self.checkpoint
        while not self._stopping.is_set():
            try:
                if checkpoint is None:
                    result = await run_next_refund_job(
                        self.services, owner, should_stop=self._stopping.is_set
                    )
                else:
                    result = await run_next_refund_job(
                        self.services,
                        owner,
                        should_stop=self._stopping.is_set,
                        checkpoint=checkpoint,
                    )
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - e.g. the database restarting: keep going
                log.exception("refund worker %s: step failed; retrying shortly", owner)
                result = None
            if result is not None:
                self.jobs_run += 1
                if self.on_result is not None:
                    self.on_result(result)
                continue  # there may be more due jobs: no pause
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wakeup.wait()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[RefundWorker]:
        """Run in the background for the duration of the block (the embedded mode)."""
        task = asyncio.create_task(self.run(), name="refund-worker")
        try:
            yield self
        finally:
            self.stop()
            try:
                await task
            except asyncio.CancelledError:
                task.cancel()
                raise

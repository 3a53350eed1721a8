"""What the refund worker and the webhook worker share: N loops that each claim one leased piece
of work at a time, a wake-up instead of waiting for the next poll, and a bounded shutdown.

Shutdown (`stop()`): no new work is claimed; what is in hand is finished (each step is bounded by
its own deadlines); what is still running after the grace period is cancelled and its lease
expires, so another worker takes it over. A step that raises (the database restarting, say) is
logged and the loop goes on after a poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Generic, Self, TypeVar

T = TypeVar("T")


def worker_identity() -> str:
    """host:pid:random, the lease owner prefix of one worker process."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Polling:
    """How a worker runs: its loops, how long an idle loop waits before looking again, and the
    shutdown grace period."""

    poll_seconds: float
    concurrency: int
    shutdown_grace_seconds: float

    def with_grace_at_most(self, seconds: float | None) -> Polling:
        """The same with a grace period of at most `seconds` (None: as it is), e.g. part of the
        embedding server's own."""
        if seconds is None or seconds >= self.shutdown_grace_seconds:
            return self
        return replace(self, shutdown_grace_seconds=seconds)


class PollingWorker(Generic[T]):
    """Subclasses name what they do (`kind`, for task names and logs) and take one step:
    `step(owner)` claims and runs one piece of work, or returns None when nothing is due."""

    kind = "worker"
    unit = "step"

    def __init__(
        self, polling: Polling, *, identity: str, on_done: Callable[[T], None] | None
    ) -> None:
        self.poll_seconds = polling.poll_seconds
        self.concurrency = polling.concurrency
        self.shutdown_grace_seconds = polling.shutdown_grace_seconds
        self.identity = identity
        self.on_done = on_done
        self.done = 0
        self._stopping = asyncio.Event()
        self._wakeup = asyncio.Event()
        self.log = logging.getLogger(f"{self.kind}s.worker")

    async def step(self, owner: str) -> T | None:
        raise NotImplementedError

    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        """Ask the loops to finish (see the module docstring)."""
        self._stopping.set()
        self._wakeup.set()

    def wake(self) -> None:
        """Look for due work now instead of at the next poll (e.g. right after an approval)."""
        self._wakeup.set()

    async def run(self) -> None:
        """Run until stop(); then wait up to the grace period for the work in hand."""
        loops = [
            asyncio.create_task(self._loop(f"{self.identity}:{i}"), name=f"{self.kind}-worker-{i}")
            for i in range(self.concurrency)
        ]
        self.log.info(
            "%s worker %s started (%d loop(s))", self.kind, self.identity, self.concurrency
        )
        try:
            await self._stopping.wait()
            _, pending = await asyncio.wait(loops, timeout=self.shutdown_grace_seconds)
            if pending:
                self.log.warning(
                    "%s worker %s: %d %s(s) still running after %.0f s: cancelled (their leases "
                    "expire and another worker takes them over)",
                    self.kind,
                    self.identity,
                    len(pending),
                    self.unit,
                    self.shutdown_grace_seconds,
                )
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            self.log.info(
                "%s worker %s stopped after %d %s(s)",
                self.kind,
                self.identity,
                self.done,
                self.unit,
            )

    async def _loop(self, owner: str) -> None:
        while not self._stopping.is_set():
            try:
                result = await self.step(owner)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - e.g. the database restarting: keep going
                self.log.exception("%s worker %s: step failed; retrying shortly", self.kind, owner)
                result = None
            if result is not None:
                self.done += 1
                if self.on_done is not None:
                    self.on_done(result)
                continue  # more may be due: no pause
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wakeup.wait()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Self]:
        """Run in the background for the duration of the block (the embedded mode)."""
        task = asyncio.create_task(self.run(), name=f"{self.kind}-worker")
        try:
            yield self
        finally:
            self.stop()
            try:
                await task
            except asyncio.CancelledError:
                task.cancel()
                raise

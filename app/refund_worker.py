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

import os
import signal
from collections.abc import Callable

from app.polling_worker import Polling, PollingWorker, worker_identity
from domain.usecases.execute_refund import CHECKPOINTS, Checkpoint, JobResult, run_next_refund_job
from domain.usecases.services import Services


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


class RefundWorker(PollingWorker[JobResult]):
    kind = "refund"
    unit = "job"

    def __init__(
        self,
        services: Services,
        polling: Polling,
        *,
        checkpoint: Checkpoint | None = None,
        on_result: Callable[[JobResult], None] | None = None,
    ) -> None:
        if services.payments is None:
            raise ValueError("the refund worker needs Services.payments")
        super().__init__(polling, identity=worker_identity(), on_done=on_result)
        self.services = services
        self.checkpoint = checkpoint

    @property
    def jobs_run(self) -> int:
        return self.done

    async def step(self, owner: str) -> JobResult | None:
        if self.checkpoint is None:
            return await run_next_refund_job(self.services, owner, should_stop=self.stopping)
        return await run_next_refund_job(
            self.services, owner, should_stop=self.stopping, checkpoint=self.checkpoint
        )

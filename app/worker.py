"""`python -m app.worker` (`make worker`): a refund worker process (production mode).

Builds the runtime like the API does (app.main.build_runtime: same settings, same adapters), then
claims and executes refund jobs until SIGTERM or SIGINT (see app.refund_worker for what shutdown
does to the job in hand). It also runs the SLA breach scheduler (several running is safe) and the
outbound webhook worker (app.webhook_worker: sends deliveries from the outbox).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from app.main import build_runtime, case_scheduler, refund_worker, webhook_worker
from app.observability.logging import configure_logging
from app.observability.metrics import serve_metrics
from app.observability.tracing import configure_tracing, trace_engine
from app.refund_worker import crash_hook
from app.settings import Settings, load_settings

log = logging.getLogger("app.worker")


async def run_worker(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    with_case_scheduler: bool = True,
    install_signal_handlers: bool = True,
) -> int:
    """Run until `stop` is set or a SIGTERM/SIGINT arrives; returns the number of jobs run."""
    stop = stop or asyncio.Event()
    checkpoint = crash_hook(settings.refund_worker_crash_at)
    loop = asyncio.get_running_loop()
    if install_signal_handlers:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
    try:
        if settings.worker_metrics_port is not None and settings.metrics_enabled:
            serve_metrics(settings.worker_metrics_port, settings.host)
            log.info("worker metrics on port %d (/metrics)", settings.worker_metrics_port)
        if settings.tracing_enabled:
            configure_tracing()
        async with build_runtime(settings, gateway_checkpoint=checkpoint) as runtime:
            if settings.tracing_enabled:
                trace_engine(runtime.engine)
            worker = refund_worker(runtime, checkpoint=checkpoint)
            async with contextlib.AsyncExitStack() as stack:
                if with_case_scheduler:
                    await stack.enter_async_context(case_scheduler(runtime).running())
                await stack.enter_async_context(webhook_worker(runtime).running())
                async with worker.running():
                    await stop.wait()
                    log.info("refund worker: shutting down")
            return worker.jobs_run
    finally:
        if install_signal_handlers:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)


def main() -> None:
    settings = load_settings()
    configure_logging(settings.log_level, settings.effective_log_format)
    asyncio.run(run_worker(settings))


if __name__ == "__main__":
    main()

"""/healthz (the process answers) and /readyz (its database answers; Redis is reported).

Every readiness check has its own short deadline (READINESS_TIMEOUT_SECONDS) and they run
concurrently, so /readyz answers quickly even while PostgreSQL or Redis hangs. The database
decides readiness (nothing works without it: 503 while it is down or hanging). Redis does not:
while it is gone, case reads and mutations keep working and live updates and shared limits
degrade (docs/faults.md), so taking every instance out of the load balancer at once would turn
a degradation into an outage; it is reported as `"redis": "unreachable"` with `"degraded": true`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse

from app.composition.runtime import Runtime

log = logging.getLogger("app")

OK = "ok"
UNREACHABLE = "unreachable"
TIMEOUT = "timeout"


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def _check(name: str, probe: Callable[[], Awaitable[object]], seconds: float) -> str:
    # In a task of its own, and abandoned (cancelled, not awaited) at the deadline: a driver
    # that cleans up slowly after a cancellation (a hanging database) cannot delay the answer.
    task = asyncio.ensure_future(probe())
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        task.add_done_callback(_consume)
        log.warning("readiness: %s did not answer within %.1f s", name, seconds)
        return TIMEOUT
    exc = task.exception()
    if exc is not None:
        log.warning("readiness: %s unreachable: %s: %s", name, type(exc).__name__, exc)
        return UNREACHABLE
    return OK


def _consume(task: asyncio.Future[object]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: no "exception was never retrieved" noise


async def readyz(request: Request) -> JSONResponse:
    rt: Runtime = request.app.state.runtime
    seconds = rt.settings.readiness_timeout_seconds

    async def database() -> None:
        async with rt.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    probes: dict[str, Callable[[], Awaitable[object]]] = {"database": database}
    if rt.redis is not None:
        probes["redis"] = rt.redis.ping
    results = await asyncio.gather(*(_check(n, p, seconds) for n, p in probes.items()))
    checks = dict(zip(probes, results, strict=True))
    ready = checks["database"] == OK
    degraded = any(v != OK for v in checks.values())
    body: dict[str, object] = {"ready": ready, "checks": checks}
    if ready and degraded:
        body["degraded"] = True
    return JSONResponse(
        body,
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )

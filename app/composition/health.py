"""/healthz (the process answers) and /readyz (its database and Redis answer too)."""

from __future__ import annotations

import logging

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse

from app.composition.runtime import Runtime

log = logging.getLogger("app")


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> JSONResponse:
    rt: Runtime = request.app.state.runtime
    checks: dict[str, str] = {}
    try:
        async with rt.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - readiness reports, never raises
        log.warning("readiness: database unreachable", exc_info=True)
        checks["database"] = "unreachable"
    if rt.redis is not None:
        try:
            await rt.redis.ping()
            checks["redis"] = "ok"
        except Exception:  # noqa: BLE001
            log.warning("readiness: redis unreachable", exc_info=True)
            checks["redis"] = "unreachable"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

"""Shutdown that ends: every closer of the runtime gets a deadline (a hanging database or Redis
must not keep a SIGTERMed process alive past its grace period)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("app.shutdown")


async def bounded_close(close: Callable[[], Awaitable[object]], what: str, seconds: float) -> None:
    """Run `close()` for at most `seconds`; a closer that fails or overruns is logged, never
    raised (the others still run)."""
    try:
        async with asyncio.timeout(seconds):
            await close()
    except TimeoutError:
        log.warning("shutdown: closing the %s took over %.1f s; abandoned", what, seconds)
    except Exception:  # noqa: BLE001 - shutdown goes on whatever one closer does
        log.warning("shutdown: closing the %s failed", what, exc_info=True)

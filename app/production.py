"""`python -m app.production`: the API as deployed, in API_WORKERS uvicorn worker processes
(default: one per CPU core) on HOST:PORT; run the migrations and the workers (refund jobs,
scheduler) separately, as docker-compose.yml does. Each process has its own pool, caches and
live-update groups; they share PostgreSQL and Redis. docs/bench-list-cases.md measures 1 and 2
processes."""

from __future__ import annotations

import os

import uvicorn

from app.settings import load_settings


def worker_count(configured: int) -> int:
    """API_WORKERS, or the number of CPU cores when it is 0."""
    return configured if configured > 0 else max(1, os.cpu_count() or 1)


def main() -> None:
    settings = load_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=worker_count(settings.api_workers),
        log_level=settings.log_level.lower(),
        access_log=False,  # the app logs one line per request, with its request id
        proxy_headers=False,  # X-Forwarded-For is believed through TRUSTED_PROXIES only
        timeout_graceful_shutdown=max(1, int(settings.shutdown_grace_seconds // 2)),
    )


if __name__ == "__main__":
    main()

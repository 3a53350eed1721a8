"""`make run`: migrate, seed the demo data, print where to go, and serve (embedded mode)."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
import threading
from collections.abc import Callable
from types import FrameType

import uvicorn

from adapters.sql.migrate import upgrade_to_head
from app.http.web_client import client_built
from app.main import build_runtime, create_app, seed
from app.observability.logging import configure_logging
from app.seed import DEMO_PASSWORD
from app.settings import Settings, load_settings, mask_url


async def prepare(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await upgrade_to_head(settings.effective_database_url)
    if settings.seed_demo_data:
        async with build_runtime(settings) as runtime:
            await seed(runtime)


def banner(settings: Settings) -> str:
    url = settings.effective_public_url
    lines = [
        "",
        "  Support & refunds service is starting (embedded mode)"
        if not settings.redis_url
        else "  Support & refunds service is starting",
        *web_client_lines(settings),
        f"  GraphiQL:  {url}/graphql",
        f"  Health:    {url}/healthz   Ready: {url}/readyz",
        f"  Database:  {settings.masked_database_url}",
    ]
    if settings.redis_url:
        lines.append(f"  Redis:     {mask_url(settings.redis_url)}")
    if settings.seed_demo_data:
        lines += [
            f"  Demo logins (password: {DEMO_PASSWORD}):",
            "    customers  alice@example.com, bob@example.com",
            "    agents     agent@example.com, sam@example.com",
            "    admin      admin@example.com",
        ]
    lines += [
        '  First step in GraphiQL: mutation { login(input: {email: "alice@example.com", '
        f'password: "{DEMO_PASSWORD}"}}) {{ ... on AuthSession {{ accessToken }} }} }}',
        '  then add the header {"Authorization": "Bearer <accessToken>"} in the Headers tab.',
        "",
    ]
    return "\n".join(lines)


def web_client_lines(
    settings: Settings, *, which: Callable[[str], str | None] = shutil.which
) -> list[str]:
    """Where the web client is, or why it is not there (`which` finds executables on PATH)."""
    url = settings.effective_public_url
    dist = settings.client_dist_dir
    if client_built(dist):
        return [f"  Web app:   {url}/"]
    if not (dist.parent / "package.json").is_file():
        why = f"this checkout has no web client ({dist.parent / 'package.json'} is missing)"
    elif which("node") is None or which("npm") is None:
        why = (
            "Node.js 20 and npm are needed: https://nodejs.org/en/download "
            "(Debian/Ubuntu: apt-get install nodejs npm), then `make client` or `make run`"
        )
    else:
        why = "run `make client` (if it failed, its output above says why)"
    return [
        f"  Web app:   not built ({dist} has no index.html): {why}",
        f"             {url}/ explains this too; the API and GraphiQL work without it.",
    ]


def main() -> None:
    settings = load_settings()
    configure_logging(settings.log_level, settings.effective_log_format)
    asyncio.run(prepare(settings))
    print(banner(settings), file=sys.stderr, flush=True)
    server = GracefulServer(
        uvicorn.Config(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            access_log=False,  # our middleware logs one line per request, with its request id
            proxy_headers=False,
            # SIGTERM: stop accepting, close the WebSockets, give open requests and subscriptions
            # half the grace period, then cancel them; the lifespan's closers are bounded too.
            timeout_graceful_shutdown=max(1, int(settings.shutdown_grace_seconds // 2)),
        ),
        grace_seconds=settings.shutdown_grace_seconds,
    )
    server.run()


class GracefulServer(uvicorn.Server):
    """uvicorn, plus a promise: SIGTERM (or SIGINT) stops the process within `grace_seconds`.
    A graceful shutdown that overruns (a closer stuck on a hanging dependency) is cut short."""

    def __init__(self, config: uvicorn.Config, *, grace_seconds: float) -> None:
        super().__init__(config)
        self.grace_seconds = grace_seconds
        self._watchdog: threading.Timer | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._watchdog is None:
            self._watchdog = threading.Timer(self.grace_seconds, self._out_of_grace)
            self._watchdog.daemon = True
            self._watchdog.start()
        super().handle_exit(sig, frame)

    def _out_of_grace(self) -> None:
        logging.getLogger("app").error(
            "shutdown took longer than its grace period (%.1f s): exiting now", self.grace_seconds
        )
        logging.shutdown()
        os._exit(70)  # EX_SOFTWARE: the graceful path did not finish


if __name__ == "__main__":
    main()

"""`python -m app.serve` (what `make run` runs) as a subprocess on a free 127.0.0.1 port, for the
e2e and fuzz suites: started with the user's environment minus every setting of the service plus
the given ones, waited for on /readyz, stopped with SIGTERM (then kill), its output kept in a
file (tests/toolbox/processes.py)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.toolbox.network import free_port
from tests.toolbox.processes import Spawned, service_environment, spawn_process

READY_TIMEOUT_S = 30.0


ServerProcess = Spawned  # .port, .base_url, .output(), .process


def _ready(response: httpx.Response) -> bool:
    return response.status_code == 200 and response.json().get("ready") is True


@contextlib.contextmanager
def serve(log_path: Path, *, wait: bool = True, **settings: str) -> Iterator[ServerProcess]:
    """A ready server for the block (PORT is a free port unless given); its output is printed
    when the block fails. `wait=False`: started only (then `await server.ready()`)."""
    port = int(settings.setdefault("PORT", str(free_port())))
    with spawn_process(
        [sys.executable, "-m", "app.serve"],
        name=f"python -m app.serve (port {port})",
        port=port,
        ready_url=f"http://127.0.0.1:{port}/readyz",
        is_ready=_ready,
        deadline=READY_TIMEOUT_S,
        wait=wait,
        env=service_environment(**settings),
        log_path=log_path,
    ) as server:
        yield server

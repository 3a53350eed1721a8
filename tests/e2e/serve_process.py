"""`python -m app.serve` (what `make run` runs) as a subprocess on a free 127.0.0.1 port, for the
e2e and fuzz suites: started with the user's environment minus every setting of the service plus
the given ones, waited for on /readyz, stopped with SIGTERM (then kill), its output kept in a
file."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def service_environment(**settings: str) -> dict[str, str]:
    """The caller's environment without any variable the service reads as a setting (a CI job's
    DATABASE_URL must not leak in), plus `settings`."""
    names = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in names}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def start(log_path: Path, **settings: str) -> ServerProcess:
    """Starts the server; PORT is a free port unless given."""
    port = int(settings.setdefault("PORT", str(free_port())))
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.serve"],
            cwd=PROJECT_ROOT,
            env=service_environment(**settings),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return ServerProcess(process=process, port=port, log_path=log_path)


def wait_until_ready(server: ServerProcess, timeout: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"app.serve exited with {server.process.returncode} before it was ready")
        try:
            response = httpx.get(f"{server.base_url}/readyz", timeout=2.0)
            if response.status_code == 200 and response.json().get("ready") is True:
                return
            last = (response.status_code, response.text)
        except httpx.TransportError as exc:
            last = exc
        time.sleep(0.2)
    pytest.fail(f"/readyz not ready within {timeout:.0f} s (last: {last!r})")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def serve(log_path: Path, **settings: str) -> Iterator[ServerProcess]:
    """A ready server for the block; prints its output when the block fails."""
    server = start(log_path, **settings)
    try:
        wait_until_ready(server)
        yield server
    except BaseException:
        print(f"---- output of python -m app.serve (port {server.port}) ----\n{server.output()}")
        raise
    finally:
        stop(server.process)

"""Child processes that serve something: start one, wait until it is ready (an HTTP URL answers,
or a port accepts connections) within a deadline, stop it (SIGTERM, then kill) at the end. Its
output (stdout and stderr) goes to a log file, shown when it does not get ready or the block
fails.

    with spawn_process([sys.executable, "-m", "app.serve"], ready_url=f"{base}/readyz",
                       env=env, name="app.serve") as server:
        ...

Several at once (they boot in parallel), from async code:

    with spawn_process(a, ready_url=..., wait=False) as one, spawn_process(b, ...) as two:
        await asyncio.gather(one.ready(), two.ready())
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
OUTPUT_TAIL = 6000  # characters of a process's output shown when it fails


def service_environment(**settings: str) -> dict[str, str]:
    """The caller's environment without any variable the service reads as a setting (a CI job's
    DATABASE_URL must not leak in), plus `settings`."""
    names = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in names}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


def api_server_command(port: int) -> list[str]:
    """The API (app.main:create_app, settings from the environment) under uvicorn on `port`."""
    return [
        *(sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"),
        *("--host", "127.0.0.1", "--port", str(port)),
        *("--log-level", "warning", "--no-access-log"),
    ]


class ProcessNotReady(RuntimeError):
    """The process exited, or was not ready by its deadline (the message holds its output)."""


def status_200(response: httpx.Response) -> bool:
    return response.status_code == 200


@dataclass
class Spawned:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None  # where it listens, when known
    ready_url: str | None = None
    ready_port: int | None = None
    is_ready: Callable[[httpx.Response], bool] = status_200
    deadline: float = 30.0
    _started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _fail(self, why: str) -> ProcessNotReady:
        tail = self.output()[-OUTPUT_TAIL:]
        return ProcessNotReady(
            f"{self.name}: {why}\n---- its output ({self.log_path}) ----\n{tail}"
        )

    def _check_once(self) -> tuple[bool, object]:
        if self.ready_url is not None:
            try:
                response = httpx.get(self.ready_url, timeout=2.0)
            except httpx.TransportError as exc:
                return False, exc
            return self.is_ready(response), (response.status_code, response.text[:200])
        if self.ready_port is not None:
            with socket.socket() as sock:
                code = sock.connect_ex(("127.0.0.1", self.ready_port))
            return code == 0, f"connect: errno {code}"
        return True, None

    def wait_until_ready(self) -> None:
        """Blocks until ready; raises ProcessNotReady (with the output) when the process exits
        first or the deadline passes."""
        limit = self._started + self.deadline
        last: object = None
        while True:
            if self.process.poll() is not None:
                raise self._fail(f"exited with {self.process.returncode} before it was ready")
            ready, last = self._check_once()
            if ready:
                return
            if time.monotonic() > limit:
                raise self._fail(f"not ready within {self.deadline:g} s (last: {last!r})")
            time.sleep(0.1)

    async def ready(self) -> None:
        """wait_until_ready, off the event loop."""
        await asyncio.to_thread(self.wait_until_ready)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)


@contextlib.contextmanager
def spawn_process(
    args: Sequence[str],
    *,
    name: str | None = None,
    port: int | None = None,
    ready_url: str | None = None,
    ready_port: int | None = None,
    is_ready: Callable[[httpx.Response], bool] = status_200,
    deadline: float = 30.0,
    wait: bool = True,
    env: Mapping[str, str] | None = None,
    cwd: Path = PROJECT_ROOT,
    log_path: Path | None = None,
    stop_timeout: float = 10.0,
    show_output_on_failure: bool = True,
) -> Iterator[Spawned]:
    """Starts `args` (listening on `port`, if it says) and, unless `wait=False`, waits until
    `ready_url` answers (`is_ready`, by default status 200) or `ready_port` accepts
    connections, within `deadline` seconds. `env` replaces the environment (default: this
    process's). Output goes to `log_path` (default: a temporary file). Stopped when the block
    ends; when the block fails, the output is printed."""
    temporary = log_path is None
    if log_path is None:
        handle, raw = tempfile.mkstemp(prefix="spawned-", suffix=".log")
        os.close(handle)
        log_path = Path(raw)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=dict(os.environ if env is None else env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    spawned = Spawned(
        name=name or " ".join(args[:3]),
        process=process,
        log_path=log_path,
        port=port,
        ready_url=ready_url,
        ready_port=ready_port,
        is_ready=is_ready,
        deadline=deadline,
    )
    try:
        if wait:
            spawned.wait_until_ready()
        yield spawned
    except ProcessNotReady:
        raise
    except BaseException:
        if show_output_on_failure:
            print(f"---- output of {spawned.name} (pid {spawned.pid}) ----\n{spawned.output()}")
        raise
    finally:
        spawned.stop(stop_timeout)
        if temporary:
            log_path.unlink(missing_ok=True)


def spawn_api_server(
    port: int, *, name: str | None = None, **options: Any
) -> contextlib.AbstractContextManager[Spawned]:
    """The API under uvicorn on `port` (api_server_command), ready when its /readyz answers;
    `options` as for spawn_process (wait, deadline, env, log_path...)."""
    return spawn_process(
        api_server_command(port),
        name=name or f"API (port {port})",
        port=port,
        ready_url=f"http://127.0.0.1:{port}/readyz",
        **options,
    )

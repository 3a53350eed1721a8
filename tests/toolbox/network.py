"""Ports and servers on 127.0.0.1:

- `free_port()`: a port nothing listens on (bound, then released: connecting is refused);
- `serve(app)`: an ASGI app served by uvicorn on a free port inside the test's own event loop;
- `silent_server()`: a TCP server that accepts connections and never answers.

    async with serve(app) as url:          # "http://127.0.0.1:<port>", stopped at the end
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Literal

import uvicorn
from starlette.types import ASGIApp

LOOPBACK = "127.0.0.1"

HttpImpl = Literal["auto", "h11", "httptools"]


def free_port() -> int:
    """A port on which nothing listens (bound then released: connecting is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # leave pytest's signal handlers (Ctrl-C) alone


@contextlib.asynccontextmanager
async def serve(
    app: ASGIApp, *, http: HttpImpl = "auto", start_timeout: float = 5.0
) -> AsyncIterator[str]:
    """Run `app` with uvicorn on 127.0.0.1:<free port> in this event loop; yields its base URL.
    No lifespan (the test owns the app's resources); stopped when the block ends."""
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only when the listening
    # socket says it is TCP; with proto 0, Nagle + delayed ACK add ~40 ms to every request.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        http=http,
        lifespan="off",
        log_level="warning",  # faults that reset connections make uvicorn log, on purpose
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    server = _QuietServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(start_timeout):
            while not server.started:
                if task.done():
                    task.result()  # raises what went wrong
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.005)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers; its base URL."""
    writers: list[asyncio.StreamWriter] = []

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        with contextlib.suppress(ConnectionError):
            await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(hang, LOOPBACK, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()

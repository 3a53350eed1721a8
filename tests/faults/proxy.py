"""A fault-injecting TCP proxy for tests, listening on 127.0.0.1 only, in front of a 127.0.0.1 port.

    async with FaultProxy(upstream_port) as proxy:   # proxy.url == "http://127.0.0.1:<port>"
        proxy.latency(50)    # delay every chunk from a client by 50 ms before forwarding it
        proxy.reset()        # new connections are reset at once, open ones on their next chunk
        proxy.blackhole()    # accept and read, never forward, never answer
        proxy.passthrough()  # back to normal
        proxy.reset_next(1)  # the next accepted connection is reset, whatever the mode
        await proxy.close_all()  # reset every open connection now (drops pooled keep-alives)

The mode is read for every chunk, so switching it also changes connections that are already open
(an HTTP client's pooled keep-alive connection, for instance). Connections to the upstream are
opened lazily, on the first chunk to forward: a blackholed or reset connection never reaches the
upstream. "Reset" closes with SO_LINGER 0, so the client sees a TCP RST, not a clean FIN.

Counters (`connections`, `client_chunks`, `upstream_connections`, `refused`) let a test prove that
a call did, or did not, reach the network. At most `max_connections` are open at once (more are
reset and counted in `refused`); `stop()` (or leaving the context) closes everything and waits for
every task it started, within a bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import struct
from dataclasses import dataclass, field
from types import TracebackType
from typing import Final, Self

__all__ = ["LOOPBACK", "FaultProxy", "Mode"]

LOOPBACK: Final = "127.0.0.1"  # the only address this proxy ever binds or connects to
_CHUNK: Final = 64 * 1024
_STOP_TIMEOUT: Final = 5.0


class Mode(enum.StrEnum):
    PASS = "pass"
    LATENCY = "latency"
    RESET = "reset"
    BLACKHOLE = "blackhole"


def _reset(writer: asyncio.StreamWriter | None) -> None:
    """Close with a TCP RST (SO_LINGER on, linger time 0), never raising."""
    if writer is None:
        return
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@dataclass(eq=False)
class _Connection:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def reset(self) -> None:
        _reset(self.client)
        _reset(self.upstream)


class FaultProxy:
    def __init__(
        self, upstream_port: int, *, max_connections: int = 64, connect_timeout: float = 2.0
    ) -> None:
        if not 0 < upstream_port < 65536:
            raise ValueError("upstream_port must be a TCP port number")
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self.upstream_port = upstream_port
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.mode = Mode.PASS
        self.latency_ms = 0.0
        self.connections = 0  # accepted connections, including those reset or refused
        self.upstream_connections = 0  # connections opened to the upstream
        self.client_chunks = 0  # chunks of bytes received from clients (any mode)
        self.refused = 0  # accepted over max_connections, reset at once
        self._reset_budget = 0
        self._server: asyncio.Server | None = None
        self._open: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._port = 0

    # -- control ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the proxy is not running")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def listening_on(self) -> set[str]:
        """The addresses the proxy is bound to (always exactly {"127.0.0.1"})."""
        if self._server is None:
            return set()
        return {str(sock.getsockname()[0]) for sock in self._server.sockets}

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def passthrough(self) -> None:
        self.mode = Mode.PASS

    def latency(self, ms: float) -> None:
        if ms < 0:
            raise ValueError("latency must be >= 0 ms")
        self.latency_ms = ms
        self.mode = Mode.LATENCY

    def reset(self) -> None:
        self.mode = Mode.RESET

    def blackhole(self) -> None:
        self.mode = Mode.BLACKHOLE

    def reset_next(self, count: int = 1) -> None:
        """Reset the next `count` accepted connections at once, whatever the mode."""
        if count < 0:
            raise ValueError("count must be >= 0")
        self._reset_budget = count

    async def close_all(self) -> int:
        """Reset every open connection; returns how many there were."""
        connections = list(self._open)
        for connection in connections:
            connection.reset()
        await asyncio.sleep(0)  # let the pumps notice
        return len(connections)

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the proxy is already running")
        self._server = await asyncio.start_server(self._accept, LOOPBACK, 0)
        self._port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for connection in list(self._open):
            connection.reset()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=_STOP_TIMEOUT)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_STOP_TIMEOUT):
                await server.wait_closed()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- connections ------------------------------------------------------------------------

    def _track(self, task: asyncio.Task[None], connection: _Connection | None = None) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if connection is not None:
            connection.tasks.add(task)
            task.add_done_callback(connection.tasks.discard)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self._server is None or len(self._open) >= self.max_connections:
            self.refused += 1
            _reset(writer)
            return
        if self._reset_budget > 0 or self.mode is Mode.RESET:
            self._reset_budget = max(0, self._reset_budget - 1)
            _reset(writer)
            return
        task = asyncio.current_task()
        connection = _Connection(client=writer)
        if task is not None:
            self._track(task, connection)
        self._open.add(connection)
        try:
            await self._client_to_upstream(reader, connection)
        except (ConnectionError, OSError):
            connection.reset()
        finally:
            self._open.discard(connection)
            for pump in list(connection.tasks):
                if pump is not task:
                    pump.cancel()
            connection.client.close()
            if connection.upstream is not None:
                connection.upstream.close()

    async def _client_to_upstream(
        self, reader: asyncio.StreamReader, connection: _Connection
    ) -> None:
        while True:
            data = await reader.read(_CHUNK)
            if not data:
                return  # the client closed
            self.client_chunks += 1
            mode = self.mode
            if mode is Mode.RESET:
                connection.reset()
                return
            if mode is Mode.BLACKHOLE:
                continue  # swallowed
            if mode is Mode.LATENCY and self.latency_ms > 0:
                await asyncio.sleep(self.latency_ms / 1000)
                if self.mode is Mode.RESET:  # switched while this chunk was held back
                    connection.reset()
                    return
                if self.mode is Mode.BLACKHOLE:
                    continue
            if connection.upstream is None and not await self._connect_upstream(connection):
                connection.reset()  # the upstream is down: the client sees a reset
                return
            upstream = connection.upstream
            assert upstream is not None
            upstream.write(data)
            await upstream.drain()

    async def _connect_upstream(self, connection: _Connection) -> bool:
        try:
            async with asyncio.timeout(self.connect_timeout):
                up_reader, up_writer = await asyncio.open_connection(LOOPBACK, self.upstream_port)
        except (OSError, TimeoutError):
            return False
        self.upstream_connections += 1
        connection.upstream = up_writer
        pump = asyncio.create_task(self._upstream_to_client(up_reader, connection))
        self._track(pump, connection)
        return True

    async def _upstream_to_client(
        self, reader: asyncio.StreamReader, connection: _Connection
    ) -> None:
        try:
            while True:
                data = await reader.read(_CHUNK)
                if not data:
                    break  # the upstream closed: pass it on
                mode = self.mode
                if mode is Mode.RESET:
                    connection.reset()
                    return
                if mode is Mode.BLACKHOLE:
                    continue  # never answer
                connection.client.write(data)
                await connection.client.drain()
            connection.client.close()
        except (ConnectionError, OSError):
            connection.reset()

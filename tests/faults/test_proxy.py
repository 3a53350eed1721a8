"""The fault proxy itself, in front of a tiny echo server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from tests.faults.proxy import LOOPBACK, FaultProxy, Mode
from tests.toolbox.polling import poll_until

QUIET = 0.2  # how long "no answer" is waited for (a bound, never a measured duration)


@contextlib.asynccontextmanager
async def echo_server() -> AsyncIterator[int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(1024):
                writer.write(data)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, LOOPBACK, 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


@contextlib.asynccontextmanager
async def proxied(**options: int) -> AsyncIterator[FaultProxy]:
    async with echo_server() as port, FaultProxy(port, **options) as proxy:
        yield proxy


async def talk(proxy: FaultProxy, payload: bytes = b"ping") -> bytes:
    reader, writer = await asyncio.open_connection(LOOPBACK, proxy.port)
    try:
        writer.write(payload)
        await writer.drain()
        async with asyncio.timeout(QUIET):
            return await reader.readexactly(len(payload))
    finally:
        writer.close()


async def test_binds_loopback_only_and_passes_traffic() -> None:
    async with proxied() as proxy:
        assert proxy.listening_on == {LOOPBACK}
        assert proxy.url == f"http://127.0.0.1:{proxy.port}"
        assert await talk(proxy) == b"ping"
        assert proxy.connections == 1 and proxy.upstream_connections == 1
        assert proxy.client_chunks == 1


async def test_latency_still_answers() -> None:
    async with proxied() as proxy:
        proxy.latency(30)
        assert proxy.mode is Mode.LATENCY
        assert await talk(proxy) == b"ping"


async def sentinel_is_next(
    proxy: FaultProxy, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Nothing came back while the proxy swallowed: once it passes traffic again, the echo of a
    sentinel sent now is the first thing the client reads."""
    proxy.passthrough()
    writer.write(b"sentinel")
    async with asyncio.timeout(2):  # a bound: the echo comes at once
        assert await reader.readexactly(len(b"sentinel")) == b"sentinel"


async def test_blackhole_reads_but_never_forwards_or_answers() -> None:
    async with proxied() as proxy:
        proxy.blackhole()
        reader, writer = await asyncio.open_connection(LOOPBACK, proxy.port)
        try:
            writer.write(b"ping")
            await poll_until(lambda: proxy.client_chunks == 1, what="the proxy read the ping")
            assert proxy.upstream_connections == 0
            await sentinel_is_next(proxy, reader, writer)  # the ping was never forwarded
        finally:
            writer.close()


async def test_reset_sends_a_tcp_reset() -> None:
    async with proxied() as proxy:
        proxy.reset()
        with pytest.raises(ConnectionResetError):
            await talk(proxy)
        assert proxy.upstream_connections == 0


async def test_reset_next_resets_only_that_many_connections() -> None:
    async with proxied() as proxy:
        proxy.reset_next(1)
        with pytest.raises(ConnectionResetError):
            await talk(proxy)
        assert await talk(proxy) == b"ping"
        assert proxy.connections == 2


async def test_mode_changes_reach_open_connections_and_close_all_drops_them() -> None:
    async with proxied() as proxy:
        reader, writer = await asyncio.open_connection(LOOPBACK, proxy.port)
        try:
            writer.write(b"one")
            assert await reader.readexactly(3) == b"one"
            proxy.blackhole()
            writer.write(b"two")
            await poll_until(lambda: proxy.client_chunks == 2, what="the proxy read 'two'")
            await sentinel_is_next(proxy, reader, writer)  # "two" never came back
            assert await proxy.close_all() == 1
            async with asyncio.timeout(2):  # a bound: the reset arrives at once
                with pytest.raises(ConnectionResetError):
                    await reader.readexactly(3)
            assert proxy.open_connections == 0
        finally:
            writer.close()


async def test_connections_are_bounded() -> None:
    async with proxied(max_connections=1) as proxy:
        reader, writer = await asyncio.open_connection(LOOPBACK, proxy.port)
        try:
            writer.write(b"hold")
            assert await reader.readexactly(4) == b"hold"
            with pytest.raises(ConnectionResetError):
                await talk(proxy)
            assert proxy.refused == 1
        finally:
            writer.close()


async def test_upstream_down_resets_the_client() -> None:
    async with echo_server() as port:
        pass  # the port is free again: nothing listens
    async with FaultProxy(port) as proxy:
        with pytest.raises(ConnectionResetError):
            await talk(proxy)


async def test_stop_closes_everything_and_is_idempotent() -> None:
    async with echo_server() as port:
        proxy = FaultProxy(port)
        await proxy.start()
        reader, writer = await asyncio.open_connection(LOOPBACK, proxy.port)
        writer.write(b"x")
        assert await reader.readexactly(1) == b"x"
        await proxy.stop()
        await proxy.stop()
        assert proxy.open_connections == 0
        with pytest.raises(RuntimeError):
            _ = proxy.port
        writer.close()

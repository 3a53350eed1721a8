"""An httpx transport wrapper that reports when a request has been written out.

`NotifyWhenSentTransport(inner, on_sent)` calls `on_sent(request)` once the whole request body has
been handed to the inner transport's connection (for HTTP/1.1 over a socket: written to the
kernel, which delivers it even if this process dies right after), before any answer is read.

It exists for the refund worker's crash tests (kill the worker "after the gateway call was sent,
before it answered"), and works for any request whose body is already in memory (json=, content=),
which keeps its Content-Length framing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx

__all__ = ["NotifyWhenSentTransport"]


class _NotifyingStream(httpx.AsyncByteStream):
    def __init__(self, body: bytes, done: Callable[[], None]) -> None:
        self._body = body
        self._done = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._body:
            yield self._body
        # Resumed by the transport once the previous chunk was written: the request is out.
        self._done()

    async def aclose(self) -> None:
        return None


class NotifyWhenSentTransport(httpx.AsyncBaseTransport):
    def __init__(
        self, inner: httpx.AsyncBaseTransport, on_sent: Callable[[httpx.Request], None]
    ) -> None:
        self._inner = inner
        self._on_sent = on_sent

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        request.stream = _NotifyingStream(body, lambda: self._on_sent(request))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()

"""What the HTTP clients of the external systems (order system, payment gateway) share: a checked
absolute base URL, one timeout, and an httpx client that is closed by whoever made it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import httpx


class HttpServiceClient:
    """`client`: an httpx client to use (tests pass one over an ASGI transport); its owner
    closes it. Without one, a client is made here and `aclose()` (or `async with`) closes it."""

    def __init__(
        self, base_url: str, *, timeout: float, client: httpx.AsyncClient | None = None
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be > 0")
        parsed = httpx.URL(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError("base_url must be an absolute http(s) URL")
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._httpx_timeout = httpx.Timeout(timeout)
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

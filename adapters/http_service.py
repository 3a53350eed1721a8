"""What the HTTP clients of the external systems (order system, payment gateway) share: a checked
absolute base URL, one timeout, an httpx client that is closed by whoever made it, and sending a
request within that timeout with failures to get an answer named without secrets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import httpx


class HttpServiceClient:
    """`client`: an httpx client to use (tests pass one over an ASGI transport); its owner
    closes it. Without one, a client is made here and `aclose()` (or `async with`) closes it."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        client: httpx.AsyncClient | None = None,
        secrets: tuple[str, ...] = (),
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
        self._secrets = secrets  # e.g. an API key: never in a message

    async def _send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        failed: Callable[[str], Exception],
        **options: Any,
    ) -> httpx.Response:
        """One request within the timeout: an overall deadline too (asyncio.timeout), which also
        holds for in-process transports such as `httpx.ASGITransport` that ignore httpx
        timeouts. No answer (a timeout, a network or protocol error) raises `failed(message)`;
        the message starts with `what` and never names the URL, its credentials or host."""
        try:
            async with asyncio.timeout(self._timeout):
                return await self._client.request(
                    method, url, timeout=self._httpx_timeout, **options
                )
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise failed(
                f"{what}: timed out after {self._timeout:g} s ({type(exc).__name__})"
            ) from exc
        except httpx.RequestError as exc:
            raise failed(
                f"{what}: network error ({type(exc).__name__}: {self._describe(exc)})"
            ) from exc
        except OSError as exc:  # e.g. a connection reset raised raw by an in-process transport
            raise failed(f"{what}: connection error ({type(exc).__name__})") from exc

    def _describe(self, exc: httpx.RequestError) -> str:
        """The transport's own reason (e.g. "[Errno 111] Connection refused"), without the URL,
        its credentials or host, nor the client's secrets."""
        text = str(exc) or "no details"
        secrets = list(self._secrets)
        try:
            url = exc.request.url
        except RuntimeError:  # no request attached
            pass
        else:
            secrets += [
                str(url),
                url.userinfo.decode(errors="replace"),
                url.password or "",
                url.host,
            ]
        for secret in sorted(secrets, key=len, reverse=True):
            if secret:
                text = text.replace(secret, "<redacted>")
        return text[:200]

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

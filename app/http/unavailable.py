"""No bare `500 Internal Server Error` text: an exception that escapes an HTTP endpoint (for
instance the access-token check, which reads the database before GraphQL runs) is answered in
the GraphQL JSON error shape. A dependency outage (see `classify`) is 503 SERVICE_UNAVAILABLE
with `Retry-After` and `extensions.retryAfterSeconds`; anything else is 500 INTERNAL_SERVER_ERROR,
logged with the request id and never described to the client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("app.http")

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


def retry_after_header(response_data: Mapping[str, Any] | list[Any]) -> int | None:
    """The retry hint of a GraphQL response whose errors include SERVICE_UNAVAILABLE."""
    results = response_data if isinstance(response_data, list) else [response_data]
    hint: int | None = None
    for result in results:
        for error in (result.get("errors") or []) if isinstance(result, Mapping) else []:
            extensions = error.get("extensions") or {} if isinstance(error, Mapping) else {}
            if extensions.get("code") == SERVICE_UNAVAILABLE:
                seconds = extensions.get("retryAfterSeconds")
                value = int(seconds) if isinstance(seconds, int | float) else 1
                hint = max(hint or 0, value)
    return hint


async def send_unavailable(send: Send, retry_after_seconds: int) -> None:
    await _send_json(
        send,
        503,
        {
            "data": None,
            "errors": [
                {
                    "message": "The service is temporarily unavailable; retry in "
                    f"{retry_after_seconds} s",
                    "extensions": {
                        "code": SERVICE_UNAVAILABLE,
                        "retryAfterSeconds": retry_after_seconds,
                    },
                }
            ],
        },
        extra_headers=[(b"retry-after", str(retry_after_seconds).encode())],
    )


async def _send_json(
    send: Send,
    status: int,
    payload: dict[str, Any],
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = json.dumps(payload).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *(extra_headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class DependencyFailureMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        classify: Callable[[BaseException], str | None],
        retry_after_seconds: int,
    ) -> None:
        self.app = app
        self.classify = classify
        self.retry_after_seconds = retry_after_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except asyncio.CancelledError:
            # The server is stopping and gave up on this request (its graceful period is
            # over): answer "retry" rather than let the server send a bare text 500.
            if not started:
                with contextlib.suppress(Exception):
                    await send_unavailable(send, self.retry_after_seconds)
            raise
        except Exception as exc:
            request_id = scope.get("state", {}).get("request_id", "-")
            which = self.classify(exc)
            if started:
                raise  # too late for another answer: the server closes the connection
            if which is not None:
                log.warning(
                    "%s unavailable during %s %s (request %s): %s: %s",
                    which,
                    scope.get("method"),
                    scope.get("path"),
                    request_id,
                    type(exc).__name__,
                    str(exc)[:200],
                )
                await send_unavailable(send, self.retry_after_seconds)
                return
            log.error(
                "unexpected error in %s %s (request %s)",
                scope.get("method"),
                scope.get("path"),
                request_id,
                exc_info=exc,
            )
            await _send_json(
                send,
                500,
                {
                    "data": None,
                    "errors": [
                        {
                            "message": f"Unexpected error (request {request_id}).",
                            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                        }
                    ],
                },
            )

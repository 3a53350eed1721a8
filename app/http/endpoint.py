"""A POST endpoint served as a raw ASGI app that answers each request with one response.

The browser-session and order-webhook endpoints are built in the lifespan (they need the
runtime's services) and served from `app.state` (app.composition.http), so Starlette cannot
wrap them as request/response functions itself: this base class does, and subclasses only
`handle` a Request."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send


class RequestEndpoint:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(Request(scope, receive))
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        raise NotImplementedError

"""/graphql: POST (and GET for GraphiQL) with bearer authentication in front of Strawberry's ASGI
view, and the WebSocket (graphql-transport-ws only; authentication in connection_init, see
app.http.graphql_ws)."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import uuid
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from app.graphiql import graphiql_html
from app.graphql.context import Context, LiveUpdates
from app.graphql.cost import RATE_LIMITED, CostMeter
from app.graphql.loaders import Loaders
from app.http.client_identity import request_id_from
from app.http.cookies import ResponseCookies, cookies_secure
from app.http.graphql_ws import LimitedWebSocketAdapter, SupportWSHandler, WebSocketOptions
from app.http.persisted_queries import PersistedQueries
from app.http.unavailable import retry_after_header
from domain.budget import CostBudget
from domain.errors import InvalidAccessToken
from domain.usecases.services import Services
from domain.usecases.sessions import authenticate
from domain.users import Principal

log = logging.getLogger("app.auth")

# GraphiQL's page: the web client's policy (app.http.web_client), except that styles may be
# inline (the page's own <style>, and GraphiQL/CodeMirror inject theirs) and fonts data: URLs
# (graphiql.min.css embeds them). Scripts stay 'self' only: GraphiQL is vendored and booted
# from a file (graphiql-boot.js).
GRAPHIQL_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)


def _unauthenticated(message: str) -> JSONResponse:
    return JSONResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidAccessToken("malformed Authorization header")
    return token.strip()


class _SubResponse(Response):
    """Strawberry's per-request "sub response", carrying the cookies resolvers asked for."""

    def __init__(self, cookies: ResponseCookies) -> None:
        super().__init__()
        self.status_code = None  # type: ignore[assignment]  # as Strawberry's: "not set"
        del self.headers["content-length"]
        self.response_cookies = cookies
        self.cost_meter: CostMeter | None = None


class StrawberryView(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = SupportWSHandler
    websocket_adapter_class = LimitedWebSocketAdapter

    def __init__(
        self,
        *args: Any,
        services: Services,
        production: bool,
        live: LiveUpdates | None = None,
        ws_options: WebSocketOptions | None = None,
        cost_budget: CostBudget | None = None,
        persisted_queries: PersistedQueries | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.cost_budget = cost_budget
        self.persisted_queries = persisted_queries or PersistedQueries()
        self.services = services
        self.production = production
        self.live = live
        self.ws_options = ws_options or WebSocketOptions()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            # Strawberry answers these in text/plain; clients get the GraphQL JSON error shape
            # (as for 413: app.http.middleware), with a code.
            response = http_error(exc.status_code, exc.reason)
        await response(scope, receive, send)

    async def execute_single(  # noqa: PLR0917 - Strawberry's signature
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Automatic persisted queries (app.http.persisted_queries), then Strawberry's."""
        try:
            query = self.persisted_queries.resolve(request_data.query, request_data.extensions)
        except GraphQLError as error:
            return ExecutionResult(data=None, errors=[error])
        if query is not request_data.query:
            request_data = dataclasses.replace(request_data, query=query)
        return await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )

    def encode_json(self, data: object) -> bytes:
        """Responses are serialized once, by orjson (several times faster than json.dumps on a
        page of 50 cases); a text orjson refuses (a lone surrogate) falls back to json."""
        return encode_json(data)

    async def create_websocket_response(
        self, request: WebSocket, subprotocol: str | None
    ) -> WebSocket:
        # A client offering only other subprotocols (the legacy `graphql-ws`) is accepted with
        # the first one it offered and at once closed with 4406 and the reason (Strawberry's
        # run() closes it; LimitedWebSocketAdapter words the reason). Accepting without a
        # subprotocol would fail the handshake on the client's side: browsers and the `ws`
        # library then see a bare 1006 instead of the reason.
        offered = request.scope.get("subprotocols") or []
        if subprotocol is None and offered:
            subprotocol = offered[0]
        return await super().create_websocket_response(request, subprotocol)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        return _SubResponse(
            ResponseCookies(secure=cookies_secure(request.url.scheme, production=self.production))
        )

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        retry_after = retry_after_header(response_data)
        if retry_after is not None:  # SERVICE_UNAVAILABLE: when to try again
            response.headers["Retry-After"] = str(retry_after)
        if isinstance(sub_response, _SubResponse):
            sub_response.response_cookies.apply(response)
            meter = sub_response.cost_meter
            if meter is not None and meter.report is not None:
                rate_limit_headers(response, meter)
        return response

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state = request.scope.get("state", {})
        client = request.client.host if request.client else "unknown"
        websocket = request.scope["type"] == "websocket"
        meter = CostMeter(self.cost_budget) if self.cost_budget is not None else None
        if isinstance(response, _SubResponse):
            response.cost_meter = meter
        return Context(
            services=self.services,
            # Over WebSocket the principal comes from connection_init (app.http.graphql_ws).
            principal=None if websocket else state.get("principal"),
            request_loaders=Loaders(self.services),
            client=client,
            request_id=(
                request_id_from(request.headers.get("x-request-id"))
                or f"ws-{uuid.uuid4().hex[:12]}"
                if websocket
                else state.get("request_id", "-")
            ),
            production=self.production,
            live=self.live if websocket else None,
            cookies=response.response_cookies if isinstance(response, _SubResponse) else None,
            cost_meter=meter,
        )

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(
            graphiql_html(endpoint="/graphql"),
            headers={"Content-Security-Policy": GRAPHIQL_CONTENT_SECURITY_POLICY},
        )


def encode_json(data: object) -> bytes:
    """Compact JSON of a GraphQL response (UTF-8)."""
    try:
        return orjson.dumps(data)
    except TypeError:  # orjson.JSONEncodeError: e.g. a str that is not valid UTF-8
        return json.dumps(data, separators=(",", ":")).encode()


_HTTP_ERROR_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "REQUEST_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def http_error(status: int, message: str) -> JSONResponse:
    """A transport-level refusal in the GraphQL JSON error shape: {"errors": [{message,
    extensions: {code}}]} (no `data`: nothing was executed)."""
    code = _HTTP_ERROR_CODES.get(status, f"HTTP_{status}")
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status
    )


def rate_limit_headers(response: Response, meter: CostMeter) -> None:
    """RateLimit-Limit/-Remaining/-Reset (points, points, seconds until the bucket is full);
    a refusal by the budget is a 429 with Retry-After."""
    report = meter.report
    if report is None or report.spend is None:
        return
    spend = report.spend
    response.headers["RateLimit-Limit"] = str(spend.limit)
    response.headers["RateLimit-Remaining"] = str(spend.remaining)
    response.headers["RateLimit-Reset"] = str(spend.reset_seconds)
    if report.refused == RATE_LIMITED:
        response.status_code = 429
        response.headers["Retry-After"] = str(max(1, math.ceil(spend.retry_after_seconds)))


class GraphQLEndpoint:
    """Authenticates the bearer token (401 for a bad one, anonymous for none), then delegates."""

    def __init__(self, view: StrawberryView, services: Services) -> None:
        self.view = view
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            request = Request(scope)
            principal: Principal | None = None
            try:
                token = bearer_token(request.headers.get("authorization"))
                if token is not None:
                    principal = await authenticate(self.services, token)
            except InvalidAccessToken as exc:
                log.info("rejected access token: %s", exc.reason)
                await _unauthenticated("Invalid or expired access token; log in again")(
                    scope, receive, send
                )
                return
            scope.setdefault("state", {})["principal"] = principal
        await self.view(scope, receive, send)

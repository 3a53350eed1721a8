"""The WebSocket side of /graphql: graphql-transport-ws with authentication and hygiene.

On top of Strawberry's protocol handler:

- `connection_init` must carry the access token (`{"Authorization": "Bearer <t>"}` or
  `{"authToken": "<t>"}`) within the init timeout (else 4408). A missing, malformed, invalid,
  expired or revoked token closes the socket with 4403 (graphql-ws: "Forbidden").
- Once acknowledged, the connection closes with 4401 ("Unauthorized": get a new token and
  reconnect) when the access token expires, or when its session ends (logout, or an admin
  deactivated the user, reset their password or changed their role: those revoke every session
  of the user, and a session of an inactive user is never active), noticed within
  `session_check_seconds` on every instance; an admin's action is also announced over the
  session notices (domain.ports.SessionNotices), which re-check that user's sockets at once.
  Every subscription event is checked against both as well.
- Keep-alive: the server sends `ping` every `keepalive_seconds`; a client silent for
  `pong_timeout_seconds` is closed (4408). A send that cannot complete in
  `send_timeout_seconds` (the client stopped reading) and a subscriber that fell more than its
  queue behind close the socket with 1013 ("try again later": reconnect with `after`).
- Incoming messages larger than the HTTP body limit are refused (1009).
- A handshake offering only other subprotocols (the legacy `graphql-ws`) is accepted with the
  client's first subprotocol and closed at once with 4406 and `SUBPROTOCOL_REASON`, so that
  browsers and the `ws` library see the code and the reason (not a failed handshake, 1006).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from json import JSONDecodeError
from typing import TYPE_CHECKING, Any, NoReturn

from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
)

from app.graphql.context import Context
from app.graphql.shared_events import OperationRef, current_operation
from app.observability.metrics import websocket_closed, websocket_opened
from domain.errors import InvalidAccessToken
from domain.request_context import request_id_scope
from domain.usecases.sessions import authenticate_session, session_active

if TYPE_CHECKING:
    from strawberry.http.async_base_view import AsyncBaseHTTPView
    from strawberry.schema import BaseSchema

log = logging.getLogger("app.ws")

# Close codes (graphql-transport-ws conventions where it has one).
FORBIDDEN = 4403  # connection_init refused: no valid token
UNAUTHORIZED = 4401  # the token expired or the session ended while connected
KEEPALIVE_TIMEOUT = 4408  # same family as the protocol's init timeout
SUBPROTOCOL_NOT_ACCEPTABLE = 4406  # the handshake asked for no subprotocol we speak
SUBPROTOCOL_REASON = (
    "Subprotocol not acceptable: this server speaks graphql-transport-ws only "
    "(the legacy graphql-ws protocol is not supported)"
)
TRY_AGAIN_LATER = 1013  # too slow to keep up: reconnect with `after`
MESSAGE_TOO_BIG = 1009


@dataclass(frozen=True, slots=True)
class WebSocketOptions:
    keepalive_seconds: float = 15.0
    pong_timeout_seconds: float = 45.0
    send_timeout_seconds: float = 10.0
    session_check_seconds: float = 15.0
    max_message_bytes: int = 256 * 1024


def token_from(payload: dict[str, object]) -> str | None:
    """The access token of a connection_init payload; InvalidAccessToken when malformed."""
    authorization = payload.get("Authorization", payload.get("authorization"))
    if authorization is not None:
        if not isinstance(authorization, str):
            raise InvalidAccessToken("malformed Authorization")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidAccessToken("malformed Authorization")
        return token.strip()
    auth_token = payload.get("authToken")
    if auth_token is None:
        return None
    if not isinstance(auth_token, str) or not auth_token.strip():
        raise InvalidAccessToken("malformed authToken")
    return auth_token.strip()


class LimitedWebSocketAdapter(ASGIWebSocketAdapter):
    """Refuses messages above the body size limit, like the HTTP endpoint does; words the
    refusal of an unknown subprotocol (4406) so that clients can tell what to use."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        """graphql-transport-ws messages are text frames (the view encodes JSON as bytes)."""
        encoded = self.view.encode_json(message)
        await self.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)

    async def send_text(self, text: str) -> None:
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def close(self, code: int, reason: str) -> None:
        if code == SUBPROTOCOL_NOT_ACCEPTABLE:
            reason = SUBPROTOCOL_REASON
        await super().close(code, reason)

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        options: WebSocketOptions = getattr(self.view, "ws_options", WebSocketOptions())
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                try:
                    text = await self.ws.receive_text()
                    if len(text) > options.max_message_bytes:
                        await self.close(MESSAGE_TOO_BIG, "Message too big")
                        return
                    yield self.view.decode_json(text)
                except JSONDecodeError as e:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from e
        except KeyError as e:
            raise NonTextMessageReceived from e
        except WebSocketDisconnect:
            pass


class SupportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    context: Context

    def __init__(
        self,
        view: AsyncBaseHTTPView[Any, Any, Any, Any, Any, Context, None],
        websocket: Any,
        context: Context,
        root_value: None,
        schema: BaseSchema,
        connection_init_wait_timeout: timedelta,
        max_subscriptions_per_connection: int | None = None,
    ) -> None:
        super().__init__(
            view,
            websocket,
            context,
            root_value,
            schema,
            connection_init_wait_timeout,
            max_subscriptions_per_connection,
        )
        self.options: WebSocketOptions = getattr(view, "ws_options", WebSocketOptions())
        self._background: set[asyncio.Task[Any]] = set()
        self._last_heard = time.monotonic()
        self._ending = False
        self._session_alive = True
        self._stop_notices: Callable[[], None] | None = None
        context.connection = self

    # -- lifecycle --------------------------------------------------------------------------

    async def handle(self) -> None:
        """The connection's life: counted (metrics), and every line logged while serving it
        (its operations run in tasks started here, which inherit it) carries its request id."""
        websocket_opened()
        try:
            with request_id_scope(self.context.request_id):
                await super().handle()
        finally:
            websocket_closed()

    def on_request_accepted(self) -> None:
        super().on_request_accepted()
        if self.options.keepalive_seconds > 0:
            self._spawn(self._keepalive())

    async def shutdown(self) -> None:
        if self._stop_notices is not None:
            self._stop_notices()
            self._stop_notices = None
        for task in list(self._background):
            if task is not asyncio.current_task():
                task.cancel()
        await super().shutdown()

    def _spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def end(self, code: int, reason: str) -> None:
        """Close the connection with `code` (once): stop every operation, then close."""
        if self._ending:
            return
        self._ending = True
        log.info("closing WebSocket (%s %s, request %s)", code, reason, self.context.request_id)
        self._spawn(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        with contextlib.suppress(Exception):
            # A client that stopped reading cannot even take the close frame: do not wait.
            async with asyncio.timeout(self.options.send_timeout_seconds):
                await self.websocket.close(code=code, reason=reason)

    # -- messages ---------------------------------------------------------------------------

    async def handle_message(self, message: Message) -> None:
        self._last_heard = time.monotonic()
        await super().handle_message(message)

    async def send_message(self, message: Message) -> None:
        if self._ending:
            raise WebSocketDisconnected()
        try:
            # asyncio.timeout, not wait_for: on Python 3.11, wait_for returns the send's result
            # when a cancellation arrives just as the send completes, i.e. it swallows the
            # cancellation, and the subscription task that strawberry cancelled at shutdown
            # (and then awaits) runs on forever: SIGTERM never finished.
            async with asyncio.timeout(self.options.send_timeout_seconds):
                await self.websocket.send_json(message)
        except TimeoutError:
            self.end(TRY_AGAIN_LATER, "Too slow: stopped reading; reconnect with `after`")
            raise WebSocketDisconnected() from None

    async def send_text(self, text: str) -> None:
        """A message already serialized (grouped fan-out), with send_message's deadline."""
        if self._ending:
            raise WebSocketDisconnected()
        try:
            async with asyncio.timeout(self.options.send_timeout_seconds):
                await self.websocket.send_text(text)  # type: ignore[attr-defined]
        except TimeoutError:
            self.end(TRY_AGAIN_LATER, "Too slow: stopped reading; reconnect with `after`")
            raise WebSocketDisconnected() from None

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        # The resolver of a subscription runs in this task: it reads which operation it is
        # (its id and document) to join a group of identical subscriptions.
        current_operation.set(
            OperationRef(
                id=operation.id,
                query=operation.query,
                variables=operation.variables,
                operation_name=operation.operation_name,
            )
        )
        await super().run_operation(operation)

    async def handle_task_exception(self, error: Exception) -> None:
        if isinstance(error, WebSocketDisconnected):
            return  # the connection is going away; nothing to report
        await super().handle_task_exception(error)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            await self.websocket.close(code=4400, reason="Invalid connection init payload")
            return
        if self.connection_init_received:
            await self.websocket.close(code=4429, reason="Too many initialisation requests")
            return
        self.connection_init_received = True
        self.context.connection_params = payload
        try:
            token = token_from(payload)
            if token is None:
                await self.websocket.close(
                    code=FORBIDDEN,
                    reason='Forbidden: send {"Authorization": "Bearer <token>"} in connection_init',
                )
                return
            session = await authenticate_session(self.context.services, token)
        except InvalidAccessToken as exc:
            log.info("WebSocket: rejected access token: %s", exc.reason)
            await self.websocket.close(
                code=FORBIDDEN, reason="Forbidden: invalid or expired access token"
            )
            return
        except Exception:  # noqa: BLE001 - the session store is down: not the client's fault
            log.warning("WebSocket: could not check the session; try again later", exc_info=True)
            await self.websocket.close(
                code=TRY_AGAIN_LATER, reason="Service unavailable; reconnect shortly"
            )
            return
        self.context.principal = session.principal
        self.context.access_expires_at = session.expires_at
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True
        self._spawn(self._watch_session())
        notices = self.context.services.session_notices
        if notices is not None:
            self._stop_notices = notices.watch(session.principal.user_id, self._sessions_ended)

    # -- keep-alive and session watch ---------------------------------------------------------

    async def _keepalive(self) -> None:
        interval = self.options.keepalive_seconds
        while not self._ending:
            await asyncio.sleep(interval)
            if time.monotonic() - self._last_heard > self.options.pong_timeout_seconds:
                self.end(KEEPALIVE_TIMEOUT, "Keep-alive timeout: no pong")
                return
            try:
                await self.send_message({"type": "ping"})
            except WebSocketDisconnected:
                return

    def _token_expired(self) -> bool:
        expires = self.context.access_expires_at
        return expires is not None and self.context.services.clock.now() >= expires

    async def _watch_session(self) -> None:
        services = self.context.services
        principal = self.context.principal
        assert principal is not None
        while not self._ending:
            expires = self.context.access_expires_at
            assert expires is not None
            remaining = (expires - services.clock.now()).total_seconds()
            if remaining <= 0:
                self.end(
                    UNAUTHORIZED, "Unauthorized: access token expired; reconnect with a new one"
                )
                return
            await asyncio.sleep(min(remaining, self.options.session_check_seconds))
            if self._token_expired():
                continue
            try:
                alive = await session_active(services, principal)
            except Exception:  # noqa: BLE001 - a database blip must not drop live connections
                log.warning("WebSocket: could not check the session", exc_info=True)
                continue
            if not alive:
                self._session_alive = False
                self.end(UNAUTHORIZED, "Unauthorized: session ended; log in again")
                return

    def _sessions_ended(self) -> None:
        """An admin ended the user's sessions (any instance): check this one now rather than at
        the next periodic check."""
        if not self._ending:
            self._spawn(self._check_session_now())

    async def _check_session_now(self) -> None:
        principal = self.context.principal
        if principal is None or self._ending:
            return
        try:
            alive = await session_active(self.context.services, principal)
        except Exception:  # noqa: BLE001 - the periodic check tries again
            log.warning("WebSocket: could not check the session", exc_info=True)
            return
        if not alive:
            self._session_alive = False
            self.end(UNAUTHORIZED, "Unauthorized: session ended; log in again")

    # -- app.graphql.context.LiveConnection -----------------------------------------------------

    def authorized(self) -> bool:
        return (
            not self._ending
            and self._session_alive
            and self.context.principal is not None
            and not self._token_expired()
        )

    async def close_unauthorized(self) -> NoReturn:
        reason = (
            "Unauthorized: access token expired; reconnect with a new one"
            if self._token_expired()
            else "Unauthorized: session ended; log in again"
        )
        self.end(UNAUTHORIZED, reason)
        await asyncio.Future()  # cancelled by end()
        raise AssertionError("unreachable")

    async def close_too_slow(self) -> NoReturn:
        self.end(TRY_AGAIN_LATER, "Too slow: fell behind; reconnect with `after`")
        await asyncio.Future()
        raise AssertionError("unreachable")

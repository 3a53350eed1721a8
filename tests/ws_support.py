"""A small graphql-transport-ws client for tests (over httpx-ws), answering the server's pings."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect, aconnect_ws

PROTOCOL = "graphql-transport-ws"

CASE_EVENTS = """subscription($caseId: ID, $after: String) {
  caseEvents(caseId: $caseId, after: $after) {
    id cursor type summary occurredAt
    supportCase { id }
    message { id body internal }
  }
}"""


@dataclass
class Closed:
    code: int
    reason: str


@dataclass
class GqlWs:
    ws: AsyncWebSocketSession
    pings: int = 0
    # Messages read while waiting for something else, by operation id.
    backlog: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    closed: Closed | None = None

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_text(json.dumps(message))

    async def init(self, token: str | None = None, payload: dict[str, Any] | None = None) -> None:
        if payload is None:
            payload = {"Authorization": f"Bearer {token}"} if token is not None else {}
        await self.send({"type": "connection_init", "payload": payload})

    async def init_ok(self, token: str) -> None:
        await self.init(token)
        message = await self.receive(timeout=10)
        assert message == {"type": "connection_ack"}, message

    async def subscribe(
        self, op_id: str, query: str = CASE_EVENTS, variables: dict[str, Any] | None = None
    ) -> None:
        await self.send(
            {
                "id": op_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )

    async def complete(self, op_id: str) -> None:
        await self.send({"id": op_id, "type": "complete"})

    async def receive(self, timeout: float = 10) -> dict[str, Any]:  # noqa: ASYNC109
        """The next protocol message other than `ping` (answered) and `pong`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"no message in {timeout} s")
            try:
                text = await self.ws.receive_text(timeout=remaining)
            except WebSocketDisconnect as exc:
                self.closed = Closed(exc.code, exc.reason)
                raise
            message: dict[str, Any] = json.loads(text)
            if message.get("type") == "ping":
                self.pings += 1
                await self.send({"type": "pong"})
                continue
            if message.get("type") == "pong":
                continue
            return message

    async def next_for(self, op_id: str, timeout: float = 10) -> dict[str, Any]:  # noqa: ASYNC109
        """The next message of one operation (others are kept in `backlog`)."""
        queued = self.backlog.get(op_id)
        if queued:
            return queued.pop(0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"nothing for {op_id} in {timeout} s")
            message = await self.receive(timeout=remaining)
            if message.get("id") == op_id:
                return message
            self.backlog.setdefault(str(message.get("id")), []).append(message)

    async def events(self, op_id: str, count: int, timeout: float = 15) -> list[dict[str, Any]]:  # noqa: ASYNC109
        """`count` caseEvents payloads of one operation (fails on anything else)."""
        found: list[dict[str, Any]] = []
        while len(found) < count:
            message = await self.next_for(op_id, timeout=timeout)
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            found.append(message["payload"]["data"]["caseEvents"])
        return found

    async def quiet(self, op_id: str, seconds: float) -> list[dict[str, Any]]:
        """Whatever arrives for `op_id` within `seconds` (expected: nothing)."""
        got: list[dict[str, Any]] = []
        with contextlib.suppress(TimeoutError):
            while True:
                got.append(await self.next_for(op_id, timeout=seconds))
        return got

    async def closed_with(self, timeout: float = 10) -> Closed:  # noqa: ASYNC109
        """Reads until the server closes the socket; the close code and reason."""
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                message = await self.receive(timeout=timeout)
                self.backlog.setdefault(str(message.get("id")), []).append(message)
        assert self.closed is not None
        return self.closed


@contextlib.asynccontextmanager
async def connect(
    url: str,
    client: httpx.AsyncClient | None = None,
    *,
    subprotocols: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[GqlWs]:
    async with aconnect_ws(
        url,
        client,
        subprotocols=[PROTOCOL] if subprotocols is None else subprotocols,
        headers=headers or {},
        keepalive_ping_interval_seconds=None,
    ) as ws:
        yield GqlWs(ws)


@contextlib.asynccontextmanager
async def asgi_ws(app: Any, **kw: Any) -> AsyncIterator[GqlWs]:
    """A graphql-transport-ws session with an ASGI app in this process (no server)."""
    from httpx_ws.transport import ASGIWebSocketTransport

    transport = ASGIWebSocketTransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://api.test") as client,
        connect("http://api.test/graphql", client, **kw) as ws,
    ):
        yield ws

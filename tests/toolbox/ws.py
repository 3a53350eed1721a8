"""A small graphql-transport-ws client for tests (over httpx-ws), answering the server's pings.

    async with connect(url, http) as ws:         # or asgi_ws(app): in process, no server
        await ws.init_ok(token)
        await ws.subscribe("op", CASE_EVENTS, {"caseId": case_id, "after": cursor})
        (event,) = await ws.events("op", 1)

Nothing-arrives checks use a sentinel, never a timeout: make something happen AFTER what must
not arrive, through the same path, then `await ws.next_is("op")`: the next message on the socket
is the sentinel's (so nothing came before it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect, aconnect_ws

from tests.toolbox.graphql import CASE_EVENTS

PROTOCOL = "graphql-transport-ws"


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

    async def next_is(self, op_id: str, timeout: float = 10) -> dict[str, Any]:  # noqa: ASYNC109
        """The sentinel check: the next message on the socket, whatever operation it belongs to,
        is one of `op_id` (nothing else arrived before it, nothing is left over)."""
        leftovers = {op: queued for op, queued in self.backlog.items() if queued}
        assert not leftovers, f"received before the sentinel: {leftovers}"
        message = await self.receive(timeout=timeout)
        assert message.get("id") == op_id, f"received before the sentinel of {op_id}: {message}"
        return message

    async def until(self, op_id: str, sentinel_id: str) -> list[dict[str, Any]]:
        """The messages of `op_id` that arrive before the first one of `sentinel_id` (another
        operation, started after `op_id` on this socket)."""
        got: list[dict[str, Any]] = list(self.backlog.pop(op_id, []))
        if self.backlog.get(sentinel_id):
            self.backlog[sentinel_id].pop(0)
            return got
        while True:
            message = await self.receive()
            if message.get("id") == sentinel_id:
                return got
            if message.get("id") == op_id:
                got.append(message)
            else:
                self.backlog.setdefault(str(message.get("id")), []).append(message)

    async def idle(self, seconds: float) -> None:
        """Stays connected for `seconds`, reading (and answering pings); what arrives is kept."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        with contextlib.suppress(TimeoutError):
            while (left := end - loop.time()) > 0:
                message = await self.receive(timeout=left)
                self.backlog.setdefault(str(message.get("id")), []).append(message)

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

"""The whole service under faults: harness of tests/faults/test_service_faults.py (and of
`bench/faults.py`, which writes docs/faults.md from the same run).

- `ProxyThread`: the fault proxies on an event loop of their own, in a background thread, so
  that the test may block (the server's start and stop helpers do) without freezing the
  traffic it proxies.
- `Load`: a bounded request loop (reads, postMessage and requestRefund with idempotency keys)
  by a few concurrent clients; every answer is classified (served, typed SERVICE_UNAVAILABLE
  with a retry hint, anything else = failed) and timed. Writes that were not served are
  retried afterwards with the same idempotency key.
- `Follower`: an agent's subscription to every case's events, open through every fault; when
  the server ends it, it reconnects with `after` = its last cursor, as the API tells clients to.

Traffic stays on 127.0.0.1; every loop stops by itself (a duration or a deadline).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from tests.faults.proxy import FaultProxy
from tests.toolbox.ws import connect

T = TypeVar("T")

DEMO_PASSWORD = "demo-password"
UNAVAILABLE = "SERVICE_UNAVAILABLE"


# -- the proxies, on their own loop -------------------------------------------------------------


class ProxyThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fault-proxies")
        self._thread.daemon = True
        self._thread.start()
        self.proxies: list[FaultProxy] = []

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def proxy(self, upstream_port: int) -> FaultProxy:
        async def start() -> FaultProxy:
            proxy = FaultProxy(upstream_port, max_connections=256)
            await proxy.start()
            return proxy

        proxy = self.run(start())
        self.proxies.append(proxy)
        return proxy

    def set(self, proxy: FaultProxy, mode: Callable[[FaultProxy], None]) -> None:
        async def switch() -> None:
            mode(proxy)

        self.run(switch())

    def close_all(self, proxy: FaultProxy) -> int:
        return self.run(proxy.close_all())

    def stop(self) -> None:
        for proxy in self.proxies:
            with contextlib.suppress(Exception):
                self.run(proxy.stop(), timeout=15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)


# -- GraphQL over HTTP ----------------------------------------------------------------------------

LOGIN = """mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {
  __typename ... on AuthSession { accessToken } ... on Error { message code } } }"""

MY_ORDERS = "{ myOrders(first: 10) { edges { node { id total { amount } status } } } }"

OPEN_CASE = """mutation($input: OpenCaseInput!) { openCase(input: $input) {
  __typename ... on CaseOpened { supportCase { id } } ... on Error { message code } } }"""

CASE_DETAIL = """query($id: ID!) { supportCase(id: $id) { id status order { id status }
  messages(first: 5) { edges { node { id body } } }
  timeline(first: 5) { edges { node { type } } } } }"""

CASE_LIST = "{ supportCases(first: 20) { edges { node { id subject status } } } }"

POST_MESSAGE = """mutation($input: PostMessageInput!) { postMessage(input: $input) {
  __typename ... on MessagePosted { postedMessage { id } } ... on Error { message code } } }"""

REQUEST_REFUND = """mutation($input: RequestRefundInput!) { requestRefund(input: $input) {
  __typename ... on RefundRequested { refund { id status } }
  ... on RefundNotAllowed { denial message } ... on Error { message code } } }"""

SUBSCRIBE_ALL = """subscription($after: String) { caseEvents(after: $after) { cursor type } }"""
LATEST_CURSOR = "{ latestCaseEventCursor }"


@dataclass
class Answer:
    ok: bool  # served: data, no errors
    typed_unavailable: bool  # SERVICE_UNAVAILABLE with retryAfterSeconds and Retry-After
    seconds: float
    detail: str
    data: dict[str, Any] | None = None


async def graphql(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> Answer:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.monotonic()
    try:
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    except httpx.HTTPError as exc:
        return Answer(False, False, time.monotonic() - started, f"transport: {exc!r}")
    seconds = time.monotonic() - started
    try:
        body = response.json()
    except ValueError:
        return Answer(False, False, seconds, f"{response.status_code} not JSON: {response.text!r}")
    errors = body.get("errors") if isinstance(body, dict) else None
    if response.status_code == 200 and not errors and body.get("data") is not None:
        return Answer(True, False, seconds, "ok", body["data"])
    extensions = [e.get("extensions") or {} for e in errors or []]
    hints = all(isinstance(x.get("retryAfterSeconds"), int) for x in extensions)
    codes = {x.get("code") for x in extensions}
    typed = codes == {UNAVAILABLE} and hints and response.headers.get("retry-after") is not None
    return Answer(False, typed, seconds, f"{response.status_code} {json.dumps(body)[:300]}")


# -- the load ---------------------------------------------------------------------------------


@dataclass
class Tally:
    served: int = 0
    unavailable: int = 0  # typed SERVICE_UNAVAILABLE with a retry hint
    failed: list[str] = field(default_factory=list)  # anything else
    slowest: float = 0.0
    recovered_after: float | None = None  # seconds from the restore to the first success

    @property
    def total(self) -> int:
        return self.served + self.unavailable + len(self.failed)

    def numbers(self) -> dict[str, Any]:
        return {
            "requests": self.total,
            "served": self.served,
            "typed_unavailable": self.unavailable,
            "failed": len(self.failed),
            "slowest_s": round(self.slowest, 2),
            "recovered_after_s": (
                None if self.recovered_after is None else round(self.recovered_after, 2)
            ),
        }


@dataclass
class Pending:
    """A write that was not served: retried later with the same idempotency key."""

    query: str
    variables: dict[str, Any]
    token: str


@dataclass
class Service:
    """The logged-in actors and the case the load works on."""

    http: httpx.AsyncClient
    alice: str
    agent: str
    case_id: str
    ws_url: str


class Load:
    def __init__(self, service: Service, *, clients: int = 4, pause: float = 0.02) -> None:
        self.service = service
        self.clients = clients
        self.pause = pause
        self.pending: list[Pending] = []
        self.keys: dict[str, str] = {}  # idempotency key -> message body (postMessage)
        self.refund_keys: list[str] = []
        self.outcomes: dict[str, str] = {}  # idempotency key -> the result's __typename
        self.retried = 0
        self._counter = itertools.count(1)

    def _operation(self, n: int) -> tuple[str, dict[str, Any], str, bool]:
        s = self.service
        kind = n % 5
        if kind == 0:
            key = f"msg-{uuid.uuid4().hex}"
            body = f"fault-load message {key}"
            self.keys[key] = body
            variables = {"input": {"caseId": s.case_id, "body": body, "idempotencyKey": key}}
            return POST_MESSAGE, variables, s.agent, True
        if kind == 1:
            key = f"refund-{uuid.uuid4().hex}"
            self.refund_keys.append(key)
            variables = {
                "input": {
                    "caseId": s.case_id,
                    "reason": "DAMAGED",
                    "amount": 100,
                    "idempotencyKey": key,
                }
            }
            return REQUEST_REFUND, variables, s.alice, True
        if kind == 2:
            return CASE_LIST, {}, s.agent, False
        return CASE_DETAIL, {"id": s.case_id}, s.alice, False

    async def run(
        self,
        tally: Tally,
        *,
        seconds: float,
        restored_at: Callable[[], float | None] = lambda: None,
        writes: bool = True,
    ) -> None:
        """Every client runs operations back to back for `seconds`."""
        stop_at = time.monotonic() + seconds

        async def client() -> None:
            while time.monotonic() < stop_at:
                n = next(self._counter)
                if not writes and n % 5 in (0, 1):
                    continue
                query, variables, token, write = self._operation(n)
                started = time.monotonic()
                answer = await graphql(self.service.http, query, variables, token)
                self.record(tally, answer, started, restored_at())
                if write and not answer.ok:
                    self.pending.append(Pending(query, variables, token))
                elif write:
                    self.outcome(variables, answer)
                await asyncio.sleep(self.pause)

        await asyncio.gather(*(client() for _ in range(self.clients)))

    @staticmethod
    def record(tally: Tally, answer: Answer, started: float, restored: float | None) -> None:
        tally.slowest = max(tally.slowest, answer.seconds)
        if answer.ok:
            tally.served += 1
            if restored is not None and started >= restored and tally.recovered_after is None:
                tally.recovered_after = time.monotonic() - restored
        elif answer.typed_unavailable:
            tally.unavailable += 1
        else:
            tally.failed.append(answer.detail)

    def outcome(self, variables: dict[str, Any], answer: Answer) -> None:
        """What a served write answered (its result's __typename), by idempotency key."""
        assert answer.data is not None
        result = next(iter(answer.data.values()))
        self.outcomes[variables["input"]["idempotencyKey"]] = str(result["__typename"])

    async def retry_pending(self, deadline_seconds: float = 20.0) -> list[str]:
        """Retry every write that was not served (same key); what still fails."""
        deadline = time.monotonic() + deadline_seconds
        left = list(self.pending)
        while left and time.monotonic() < deadline:
            still: list[Pending] = []
            for p in left:
                answer = await graphql(self.service.http, p.query, p.variables, p.token)
                if not answer.ok:
                    still.append(p)
                else:
                    self.outcome(p.variables, answer)
                    self.retried += 1
            left = still
            if left:
                await asyncio.sleep(0.5)
        self.pending = left
        return [json.dumps(p.variables) for p in left]


async def recover(
    http: httpx.AsyncClient, token: str, case_id: str, since: float, deadline: float = 20.0
) -> float | None:
    """Seconds from `since` until a case read is served again (None: not within `deadline`)."""
    stop_at = since + deadline
    while time.monotonic() < stop_at:
        answer = await graphql(http, CASE_DETAIL, {"id": case_id}, token)
        if answer.ok:
            return time.monotonic() - since
        await asyncio.sleep(0.1)
    return None


# -- the subscriber ---------------------------------------------------------------------------


class Follower:
    """An agent following every case from `after`, reconnecting with its last cursor."""

    def __init__(self, ws_url: str, token: str, after: str) -> None:
        self.ws_url = ws_url
        self.token = token
        self.cursor = after
        self.received: list[int] = []
        self.reconnects = 0
        self.errors: list[str] = []
        self.close_codes: list[int] = []
        self.stopping = False
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self.server_closed = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self.stopping:
            try:
                async with connect(self.ws_url) as ws:
                    await ws.init_ok(self.token)
                    await ws.subscribe("all", SUBSCRIBE_ALL, {"after": self.cursor})
                    self.connected.set()
                    while not self.stopping:
                        message = await ws.next_for("all", timeout=3600)
                        if message.get("type") != "next":
                            self.errors.append(json.dumps(message)[:300])
                            break
                        payload = message["payload"]
                        if payload.get("errors"):
                            self.errors.append(json.dumps(payload)[:300])
                            break
                        cursor = payload["data"]["caseEvents"]["cursor"]
                        self.received.append(int(cursor))
                        self.cursor = cursor
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a dropped socket: reconnect
                code = _close_code(exc)
                if isinstance(code, int):
                    self.close_codes.append(code)
                    if code in (1001, 1012):  # going away / service restart: the server stops
                        self.server_closed.set()
                        if self.stopping:
                            return
                self.errors.append(f"{type(exc).__name__}: {exc!r}"[:300])
            if self.stopping:
                return
            self.connected.clear()
            self.reconnects += 1
            await asyncio.sleep(0.5)

    async def caught_up(self, sequences: list[int], deadline: float = 15.0) -> bool:
        stop_at = time.monotonic() + deadline
        wanted = set(sequences)
        while time.monotonic() < stop_at:
            if wanted <= set(self.received):
                return True
            await asyncio.sleep(0.1)
        return wanted <= set(self.received)

    async def stop(self) -> None:
        self.stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task


def _close_code(exc: BaseException) -> int | None:
    """The WebSocket close code in `exc` (httpx-ws may wrap it in an exception group)."""
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        return code
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _close_code(inner)
            if found is not None:
                return found
    return None

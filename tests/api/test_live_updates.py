"""Live updates end to end: TWO API processes (uvicorn) on one PostgreSQL and one Redis.

Mutations go to one instance, subscribers listen on the other: every event arrives, in log
order, exactly once; customers get their own case's public events only; reconnecting with
`after` misses nothing; the WebSocket's hygiene (tokens, init timeout, subscription limit,
keep-alive, origins, legacy protocol) holds; a client that stops reading is cut off without
delaying anyone else.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
import redis.asyncio as aioredis
from httpx_ws import WebSocketUpgradeError

from adapters.auth.tokens import JwtAccessTokenService
from adapters.clock import FixedClock
from app.main import build_runtime, seed
from app.settings import Settings
from tests.toolbox.graphql import (
    CASE_EVENTS,
    CASE_TIMELINE,
    CHANGE_STATUS,
    OPEN_CASE,
    POST_MESSAGE,
    SET_PRIORITY,
    GraphQLClient,
    gid,
    internal_id,
)
from tests.toolbox.network import free_port
from tests.toolbox.polling import poll_until
from tests.toolbox.processes import Spawned, spawn_api_server
from tests.toolbox.services import REDIS_URL, redis_or_skip, throwaway_database
from tests.toolbox.ws import GqlWs, connect

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@dataclass
class Instance:
    port: int
    process: Spawned
    http: httpx.AsyncClient
    gql: GraphQLClient

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"{self.base}/graphql"

    def ws(self, **kw: Any) -> contextlib.AbstractAsyncContextManager[GqlWs]:
        return connect(self.ws_url, self.http, **kw)


@dataclass
class Cluster:
    one: Instance
    two: Instance
    settings: Settings  # what the instances run with (secrets, token settings)
    prefix: str
    tokens: dict[str, str]

    async def token(self, email: str) -> str:
        if email not in self.tokens:
            self.tokens[email] = await self.two.gql.login(email)
        return self.tokens[email]


ENV = {
    "APP_ENV": "test",
    "LOG_LEVEL": "WARNING",
    "LOGIN_ATTEMPTS_PER_MINUTE": "100000",
    "RUN_SLA_SCHEDULER": "false",
    "WS_CONNECTION_INIT_TIMEOUT_SECONDS": "1",
    "WS_KEEPALIVE_SECONDS": "1",
    "WS_PONG_TIMEOUT_SECONDS": "4",
    "WS_SEND_TIMEOUT_SECONDS": "2",
    "WS_SESSION_CHECK_SECONDS": "0.5",
    "SUBSCRIPTION_QUEUE_SIZE": "8",
}


@pytest.fixture(scope="module")
async def cluster() -> AsyncIterator[Cluster]:
    async with start_cluster() as started:
        yield started


@contextlib.asynccontextmanager
async def start_cluster(**overrides: str) -> AsyncIterator[Cluster]:
    """Two API processes on one throwaway database and Redis; `overrides`: more environment."""
    await redis_or_skip()
    async with throwaway_database("live") as url, contextlib.AsyncExitStack() as stack:
        prefix = f"test-live-{uuid.uuid4().hex[:8]}"
        env = {
            **ENV,
            **overrides,
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "EVENT_CHANNEL_PREFIX": prefix,
        }
        settings = Settings(app_env="test", database_url=url, redis_url=REDIS_URL)
        async with build_runtime(settings) as runtime:
            await seed(runtime)
        instances: list[Instance] = []
        for n in range(2):
            port = free_port()
            public = {"PORT": str(port), "PUBLIC_URL": f"http://127.0.0.1:{port}"}
            process = stack.enter_context(
                spawn_api_server(
                    port,
                    name=f"API instance {n + 1} (port {port})",
                    deadline=60,
                    wait=False,
                    env={**os.environ, **env, **public},
                )
            )
            http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
            stack.push_async_callback(http.aclose)
            instances.append(Instance(port, process, http, GraphQLClient(http)))
        await asyncio.gather(*(instance.process.ready() for instance in instances))
        yield Cluster(instances[0], instances[1], settings, prefix, {})


# -- helpers --------------------------------------------------------------------------------


async def open_case(instance: Instance, token: str, subject: str = "Live case") -> str:
    data = await instance.gql.ok(
        OPEN_CASE,
        {"input": {"subject": subject, "description": "Watching it live", "category": "OTHER"}},
        token,
    )
    assert data["openCase"]["__typename"] == "CaseOpened", data
    case_id: str = data["openCase"]["supportCase"]["id"]
    return case_id


async def post(
    instance: Instance, token: str, case_id: str, body: str, internal: bool = False
) -> None:
    data = await instance.gql.ok(
        POST_MESSAGE, {"input": {"caseId": case_id, "body": body, "internal": internal}}, token
    )
    assert data["postMessage"]["__typename"] == "MessagePosted", data


async def timeline(instance: Instance, token: str, case_id: str) -> list[dict[str, Any]]:
    data = await instance.gql.ok(CASE_TIMELINE, {"id": case_id}, token)
    return [edge["node"] for edge in data["supportCase"]["timeline"]["edges"]]


async def collect_cases(ws: GqlWs, op: str, case_ids: set[str], count: int) -> list[dict[str, Any]]:
    """The next `count` events of some cases from a subscription (others are skipped)."""
    found: list[dict[str, Any]] = []
    while len(found) < count:
        (event,) = await ws.events(op, 1)
        if event["supportCase"]["id"] in case_ids:
            found.append(event)
    return found


async def collect_case(ws: GqlWs, op: str, case_id: str, count: int) -> list[dict[str, Any]]:
    return await collect_cases(ws, op, {case_id}, count)


async def subscribed(ws: GqlWs, op: str, variables: dict[str, Any]) -> None:
    """Subscribe (tests that count events pass `after`, so no timing matters)."""
    await ws.subscribe(op, CASE_EVENTS, variables)


async def before_case(instance: Instance, token: str, case_id: str) -> str:
    """The cursor just before a case's first event: `after` it, the case's whole life."""
    first = (await timeline(instance, token, case_id))[0]
    return str(int(first["cursor"]) - 1)


def case_gid() -> str:
    return gid("SupportCase", str(uuid.uuid4()))


async def sentinel_is_next(
    ws: GqlWs, op: str, instance: Instance, token: str, case_id: str
) -> None:
    """Nothing more has arrived on `ws`: a message posted now on a case that `op` follows (the
    sentinel) is the next thing on the socket."""
    body = f"sentinel {uuid.uuid4().hex[:8]}"
    await post(instance, token, case_id, body)
    message = await ws.next_is(op)
    assert message["type"] == "next", message
    assert message["payload"]["data"]["caseEvents"]["message"]["body"] == body, message


# -- delivery across instances ----------------------------------------------------------------


async def test_an_agent_on_one_instance_sees_every_event_of_the_other_in_order(
    cluster: Cluster,
) -> None:
    agent = await cluster.token("agent@example.com")
    alice = await cluster.token("alice@example.com")
    case_id = await open_case(cluster.two, alice)
    async with cluster.one.ws() as ws:
        await ws.init_ok(agent)
        await subscribed(ws, "all", {"after": await before_case(cluster.two, agent, case_id)})
        await post(cluster.two, alice, case_id, "Hello?")
        await post(cluster.two, agent, case_id, "Looking into it")
        await post(cluster.two, agent, case_id, "Customer sounds upset", internal=True)
        await cluster.two.gql.ok(
            CHANGE_STATUS, {"input": {"caseId": case_id, "status": "IN_PROGRESS"}}, agent
        )
        await cluster.two.gql.ok(
            SET_PRIORITY, {"input": {"caseId": case_id, "priority": "HIGH"}}, agent
        )
        # Concurrent writes through both instances (on other cases, as a case refuses concurrent
        # changes): the notifications of the two instances race each other.
        others = [await open_case(cluster.one, alice, f"Burst {n}") for n in range(3)]
        for round_ in range(4):
            await asyncio.gather(
                *(
                    post(cluster.one if (n + round_) % 2 else cluster.two, alice, c, f"r{round_}")
                    for n, c in enumerate(others)
                )
            )
        cases = [case_id, *others]
        expected = sorted(
            [e for c in cases for e in await timeline(cluster.two, agent, c)],
            key=lambda e: int(e["cursor"]),
        )
        got = await collect_cases(ws, "all", set(cases), len(expected))
        assert [e["id"] for e in got] == [e["id"] for e in expected]
        cursors = [int(e["cursor"]) for e in got]
        assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)
        assert any(e["message"] and e["message"]["internal"] for e in got)  # staff see notes
        await sentinel_is_next(ws, "all", cluster.two, agent, case_id)  # and nothing twice


async def test_a_customer_sees_her_cases_public_events_and_no_internal_notes(
    cluster: Cluster,
) -> None:
    agent = await cluster.token("agent@example.com")
    alice = await cluster.token("alice@example.com")
    case_id = await open_case(cluster.two, alice, "Alice's live case")
    async with cluster.one.ws() as mine, cluster.one.ws() as staff:
        await mine.init_ok(alice)
        await staff.init_ok(agent)
        opened = str(int(await before_case(cluster.two, agent, case_id)) + 1)
        await subscribed(mine, "mine", {"caseId": case_id, "after": opened})
        await subscribed(staff, "case", {"caseId": case_id, "after": opened})
        await post(cluster.two, agent, case_id, "Public reply")
        await post(cluster.two, agent, case_id, "INTERNAL: refund looks fishy", internal=True)
        await cluster.two.gql.ok(
            CHANGE_STATUS, {"input": {"caseId": case_id, "status": "IN_PROGRESS"}}, agent
        )
        await post(cluster.two, agent, case_id, "Second public reply")
        # Staff following the case get all four, the note included (the control)...
        staff_events = await staff.events("case", 4)
        assert [bool(e["message"] and e["message"]["internal"]) for e in staff_events] == [
            False,
            True,
            False,
            False,
        ]
        # ...the customer the three public ones, in order, and nothing else.
        got = await mine.events("mine", 3)
        assert [e["type"] for e in got] == ["MESSAGE_POSTED", "STATUS_CHANGED", "MESSAGE_POSTED"]
        assert [e["id"] for e in got] == [
            e["id"] for e in staff_events if e["id"] != staff_events[1]["id"]
        ]
        assert "fishy" not in json.dumps(got)
        own_timeline = await timeline(cluster.two, alice, case_id)
        assert [e["id"] for e in own_timeline][1:] == [e["id"] for e in got]
        await sentinel_is_next(mine, "mine", cluster.two, agent, case_id)


async def test_another_customers_case_is_an_error_and_nothing_else(cluster: Cluster) -> None:
    alice = await cluster.token("alice@example.com")
    bob = await cluster.token("bob@example.com")
    agent = await cluster.token("agent@example.com")
    case_id = await open_case(cluster.two, alice, "Not Bob's business")
    own = await open_case(cluster.two, bob, "Bob's own case")  # the path of the sentinels
    own_opened = str(int(await before_case(cluster.two, bob, own)) + 1)
    async with cluster.one.ws() as ws:
        await ws.init_ok(bob)
        await ws.subscribe("theirs", CASE_EVENTS, {"caseId": case_id, "after": "0"})
        theirs = await ws.next_for("theirs")
        await ws.subscribe("missing", CASE_EVENTS, {"caseId": case_gid(), "after": "0"})
        missing = await ws.next_for("missing")
        assert theirs["type"] == "error", theirs
        assert theirs["payload"] == missing["payload"]  # exactly like a case that does not exist
        assert theirs["payload"][0]["extensions"]["code"] == "NOT_FOUND"
        await ws.subscribe("own", CASE_EVENTS, {"caseId": own, "after": own_opened})
        await post(cluster.two, agent, case_id, "Anything for Bob?")
        await sentinel_is_next(ws, "own", cluster.two, bob, own)  # nothing for "theirs"
        # Every case at once: customers may not.
        await ws.subscribe("all", CASE_EVENTS, {})
        refused = await ws.next_for("all")
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "FORBIDDEN"
        await sentinel_is_next(ws, "own", cluster.two, bob, own)  # nothing more for "all"


async def test_reconnecting_with_after_misses_nothing_and_repeats_nothing(
    cluster: Cluster,
) -> None:
    agent = await cluster.token("agent@example.com")
    alice = await cluster.token("alice@example.com")
    case_id = await open_case(cluster.two, alice, "Reconnect case")
    async with cluster.one.ws() as ws:
        await ws.init_ok(agent)
        await subscribed(ws, "all", {"after": await before_case(cluster.two, agent, case_id)})
        await post(cluster.two, alice, case_id, "before the cut")
        first = await collect_case(ws, "all", case_id, 2)
    last_cursor = first[-1]["cursor"]
    # Disconnected: these happen while nobody listens.
    for n in range(5):
        await post(cluster.one if n % 2 else cluster.two, alice, case_id, f"missed {n}")
    async with cluster.two.ws() as ws:
        await ws.init_ok(agent)
        await subscribed(ws, "again", {"after": last_cursor})
        missed = await collect_case(ws, "again", case_id, 5)
        await post(cluster.one, alice, case_id, "live again")
        live = await collect_case(ws, "again", case_id, 1)
        expected = await timeline(cluster.one, agent, case_id)
        received = first + missed + live
        assert [e["id"] for e in received] == [e["id"] for e in expected]
        await sentinel_is_next(ws, "again", cluster.one, alice, case_id)


# -- connection hygiene -------------------------------------------------------------------------


def crafted_token(settings: Settings, valid_token: str, *, seconds_left: float) -> str:
    """A token of the same session as `valid_token`, expiring in `seconds_left` seconds."""
    claims = jwt.decode(valid_token, options={"verify_signature": False})
    now = FixedClock()
    ttl = settings.access_token_ttl_seconds
    issued = now.now() - timedelta(seconds=ttl - seconds_left)
    service = JwtAccessTokenService(
        secret=settings.jwt_secret.get_secret_value(),
        key_id=settings.jwt_key_id,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_seconds=ttl,
        clock=FixedClock(issued),
    )
    from domain.users import Role

    return service.issue(
        user_id=claims["sub"], role=Role(claims["role"]), session_id=claims["sid"]
    ).token


async def closed_at_init(instance: Instance, payload: dict[str, Any] | None) -> tuple[int, str]:
    async with instance.ws() as ws:
        await ws.init(payload=payload)
        closed = await ws.closed_with()
        return closed.code, closed.reason


async def test_missing_invalid_expired_and_revoked_tokens_are_refused(cluster: Cluster) -> None:
    agent = await cluster.token("agent@example.com")
    expired = crafted_token(cluster.settings, agent, seconds_left=-5)
    login = await cluster.one.gql.ok(
        'mutation { login(input: {email: "sam@example.com", password: "demo-password"}) '
        "{ ... on AuthSession { accessToken refreshToken } } }"
    )
    revoked, refresh = login["login"]["accessToken"], login["login"]["refreshToken"]
    logout = await cluster.two.gql.ok(
        "mutation($t: String!) { logout(input: {refreshToken: $t}) { __typename } }", {"t": refresh}
    )
    assert logout["logout"]["__typename"] == "LoggedOut"
    cases = {
        "missing": {},
        "empty": {"Authorization": ""},
        "not bearer": {"Authorization": f"Basic {agent}"},
        "garbage": {"Authorization": "Bearer not.a.jwt"},
        "forged": {"authToken": agent[:-4] + ("AAAA" if not agent.endswith("AAAA") else "BBBB")},
        "expired": {"Authorization": f"Bearer {expired}"},
        "revoked": {"authToken": revoked},
    }
    for name, payload in cases.items():
        code, reason = await closed_at_init(cluster.one, payload)
        assert code == 4403, (name, code, reason)
        assert reason.startswith("Forbidden"), (name, reason)
    # Control: both payload spellings work with a good token.
    for payload in ({"Authorization": f"Bearer {agent}"}, {"authToken": agent}):
        async with cluster.one.ws() as ws:
            await ws.init(payload=payload)
            assert await ws.receive() == {"type": "connection_ack"}


async def test_the_socket_closes_when_the_token_expires(cluster: Cluster) -> None:
    agent = await cluster.token("agent@example.com")
    short = crafted_token(cluster.settings, agent, seconds_left=2.5)
    async with cluster.one.ws() as ws:
        await ws.init_ok(short)
        await subscribed(ws, "all", {})
        closed = await ws.closed_with(timeout=10)
        assert closed.code == 4401 and "expired" in closed.reason


async def test_the_socket_closes_when_the_session_is_logged_out(cluster: Cluster) -> None:
    login = await cluster.one.gql.ok(
        'mutation { login(input: {email: "sam@example.com", password: "demo-password"}) '
        "{ ... on AuthSession { accessToken refreshToken } } }"
    )
    token, refresh = login["login"]["accessToken"], login["login"]["refreshToken"]
    async with cluster.one.ws() as ws:
        await ws.init_ok(token)
        await subscribed(ws, "all", {})
        await cluster.two.gql.ok(  # logout on the OTHER instance
            "mutation($t: String!) { logout(input: {refreshToken: $t}) { __typename } }",
            {"t": refresh},
        )
        closed = await ws.closed_with(timeout=10)
        assert closed.code == 4401 and "session ended" in closed.reason


async def test_a_deactivated_agents_subscription_closes_and_refresh_fails(
    cluster: Cluster,
) -> None:
    admin = await cluster.token("admin@example.com")
    email = f"leaving-{uuid.uuid4().hex[:8]}@example.com"
    created = await cluster.two.gql.ok(
        "mutation($input: CreateUserInput!) { createUser(input: $input) { __typename "
        "... on UserCreated { user { id } } } }",
        {"input": {"email": email, "name": "Leaving", "role": "AGENT", "password": "pw-12345678"}},
        admin,
    )
    user_id = created["createUser"]["user"]["id"]
    login = await cluster.one.gql.ok(
        'mutation($e: String!) { login(input: {email: $e, password: "pw-12345678"}) '
        "{ ... on AuthSession { accessToken refreshToken } } }",
        {"e": email},
    )
    token, refresh = login["login"]["accessToken"], login["login"]["refreshToken"]
    async with cluster.one.ws() as ws:
        await ws.init_ok(token)
        await subscribed(ws, "all", {})
        started = time.monotonic()
        out = await cluster.two.gql.ok(  # deactivated on the OTHER instance
            "mutation($id: ID!) { deactivateUser(input: {userId: $id}) { __typename } }",
            {"id": user_id},
            admin,
        )
        assert out["deactivateUser"]["__typename"] == "UserUpdated", out
        closed = await ws.closed_with(timeout=10)
        # WS_SESSION_CHECK_SECONDS is 0.5 here: the bound of the close is one check interval.
        assert time.monotonic() - started < 1.5
        assert closed.code == 4401 and "session ended" in closed.reason
    again = await cluster.one.gql.ok(
        "mutation($t: String!) { refreshSession(input: {refreshToken: $t}) { __typename } }",
        {"t": refresh},
    )
    assert again["refreshSession"]["__typename"] == "InvalidRefreshToken"


async def test_deactivation_closes_sockets_on_every_instance_within_a_second() -> None:
    """With a periodic session check far away (60 s), the socket on the other instance still
    closes within a second: the deactivation is announced over Redis (session notices)."""
    async with start_cluster(WS_SESSION_CHECK_SECONDS="60") as slow:
        admin = await slow.token("admin@example.com")
        email = f"leaving-{uuid.uuid4().hex[:8]}@example.com"
        created = await slow.two.gql.ok(
            "mutation($input: CreateUserInput!) { createUser(input: $input) { __typename "
            "... on UserCreated { user { id } } } }",
            {
                "input": {
                    "email": email,
                    "name": "Leaving",
                    "role": "AGENT",
                    "password": "pw-12345678",
                }
            },
            admin,
        )
        user_id = created["createUser"]["user"]["id"]
        token = await slow.one.gql.login(email, "pw-12345678")
        async with slow.one.ws() as ws:
            await ws.init_ok(token)
            await subscribed(ws, "all", {})
            started = time.monotonic()
            await slow.two.gql.ok(
                "mutation($id: ID!) { deactivateUser(input: {userId: $id}) { __typename } }",
                {"id": user_id},
                admin,
            )
            closed = await ws.closed_with(timeout=10)
            assert time.monotonic() - started < 1.0
            assert closed.code == 4401 and "session ended" in closed.reason


async def test_a_late_connection_init_closes_the_socket(cluster: Cluster) -> None:
    async with cluster.one.ws() as ws:
        closed = await ws.closed_with(timeout=10)  # init timeout is 1 s in these instances
        assert closed.code == 4408


async def test_an_eleventh_subscription_is_refused(cluster: Cluster) -> None:
    agent = await cluster.token("agent@example.com")
    alice = await cluster.token("alice@example.com")
    case_id = await open_case(cluster.two, alice, "Ten listeners")
    after = await before_case(cluster.two, agent, case_id)
    async with cluster.one.ws() as ws:
        await ws.init_ok(agent)
        for n in range(10):
            await ws.subscribe(f"s{n}", CASE_EVENTS, {"caseId": case_id, "after": after})
        await ws.subscribe("s10", CASE_EVENTS, {"caseId": case_id, "after": after})
        refused = await ws.next_for("s10")
        assert refused["type"] == "error"
        assert refused["payload"][0]["message"] == "Subscription limit reached"
        # The ten others work.
        for n in range(10):
            (event,) = await ws.events(f"s{n}", 1)
            assert event["supportCase"]["id"] == case_id and event["type"] == "CASE_OPENED"


async def test_the_legacy_protocol_is_refused(cluster: Cluster) -> None:
    async with cluster.one.ws(subprotocols=["graphql-ws"]) as ws:
        closed = await ws.closed_with()
        assert closed.code == 4406


async def test_cross_origin_pages_are_refused_unless_allowed(cluster: Cluster) -> None:
    with pytest.raises(WebSocketUpgradeError) as refused:
        async with cluster.one.ws(headers={"Origin": "https://evil.example"}):
            pass
    assert refused.value.response.status_code == 403
    agent = await cluster.token("agent@example.com")
    async with cluster.one.ws(headers={"Origin": cluster.one.base}) as ws:  # the public URL
        await ws.init_ok(agent)


async def test_keepalive_pings_and_silent_clients_are_closed(cluster: Cluster) -> None:
    agent = await cluster.token("agent@example.com")
    async with cluster.one.ws() as ws:
        await ws.init_ok(agent)
        await ws.idle(2.5)
        assert ws.pings >= 1  # answered by the helper: the connection stays
    async with cluster.one.ws() as silent:
        await silent.init(agent)
        async with asyncio.timeout(15):
            code = None
            while code is None:  # read, but never answer a ping
                try:
                    await silent.ws.receive_text()
                except Exception as exc:  # noqa: BLE001
                    code = getattr(exc, "code", None)
        assert code == 4408


async def test_oversized_messages_are_refused(cluster: Cluster) -> None:
    agent = await cluster.token("agent@example.com")
    async with cluster.one.ws() as ws:
        await ws.init_ok(agent)
        await ws.subscribe("big", "subscription { caseEvents { id } }" + " " * 300_000)
        closed = await ws.closed_with()
        assert closed.code == 1009


# -- a stuck client ---------------------------------------------------------------------------


def _frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = bytes([0x81, 0x80 | length])
    elif length < 65536:
        header = bytes([0x81, 0x80 | 126]) + length.to_bytes(2, "big")
    else:
        header = bytes([0x81, 0x80 | 127]) + length.to_bytes(8, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


@contextlib.asynccontextmanager
async def stuck_client(instance: Instance, token: str, case_id: str) -> AsyncIterator[None]:
    """Subscribes to a case with a tiny receive buffer, then never reads again."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", instance.port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=1024)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /graphql HTTP/1.1\r\nHost: 127.0.0.1:{instance.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    seen = b""
    async with asyncio.timeout(10):
        while b"\r\n\r\n" not in seen:  # the 101 response first (frames sent before it are lost)
            seen += await reader.read(256)
        assert seen.startswith(b"HTTP/1.1 101"), seen
        writer.write(
            _frame(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
        )
        await writer.drain()
        while b"connection_ack" not in seen:
            seen += await reader.read(256)
    writer.write(
        _frame(
            json.dumps(
                {
                    "id": "stuck",
                    "type": "subscribe",
                    "payload": {"query": CASE_EVENTS, "variables": {"caseId": case_id}},
                }
            )
        )
    )
    await writer.drain()
    try:
        yield
    finally:
        writer.transport.abort()


async def numsub(channel: str) -> int:
    client = aioredis.from_url(REDIS_URL)
    try:
        return int((await client.pubsub_numsub(channel))[0][1])
    finally:
        await client.aclose()


async def _drain(ws: GqlWs, op: str) -> None:
    while True:
        await ws.events(op, 1)


async def test_a_stuck_client_does_not_delay_the_others() -> None:
    # Without keep-alive pings: the stuck client never answers one, so with the module's 1 s
    # pings it would be closed for silence, which is not what this test is about (and the fast
    # clients, not read while the posts go out, could be closed for silence on a loaded machine).
    # What must cut the stuck one off here is its full send buffer.
    async with start_cluster(WS_KEEPALIVE_SECONDS="0") as cluster:
        await _stuck_client_scenario(cluster)


async def _stuck_client_scenario(cluster: Cluster) -> None:
    agent = await cluster.token("agent@example.com")
    alice = await cluster.token("alice@example.com")
    case_id = await open_case(cluster.two, alice, "Stuck client case")
    channel = f"{cluster.prefix}:case:{internal_id(case_id)}:staff"
    # Four UTF-8 bytes a character: the kernel buffers (up to 4 MiB) fill four times sooner.
    body = "\N{GRINNING FACE}" * 9000
    async with cluster.one.ws() as fast_one, cluster.two.ws() as fast_two:
        await fast_one.init_ok(agent)
        await fast_two.init_ok(agent)
        opened = str(int(await before_case(cluster.two, agent, case_id)) + 1)
        await subscribed(fast_one, "all", {"after": opened})
        await subscribed(fast_two, "case", {"caseId": case_id, "after": opened})
        async with stuck_client(cluster.one, agent, case_id):
            await poll_until(  # the stuck client (on one) and fast_two (on two)
                lambda: numsub(channel),
                until=lambda n: n == 2,
                deadline=30,
                what=f"{channel} subscribers",
            )
            for n in range(40):
                await post(cluster.two if n % 2 else cluster.one, agent, case_id, f"{n} {body}")
            expected = [e["id"] for e in await timeline(cluster.two, agent, case_id)][1:]
            # Everyone else got every event, in order, while the stuck client sat there.
            assert [e["id"] for e in await collect_case(fast_one, "all", case_id, 40)] == expected
            assert [e["id"] for e in await fast_two.events("case", 40)] == expected
            # And the stuck one gets cut off: its instance leaves the case's channel. When that
            # happens depends on how much the kernel's send buffer (autotuned up to tcp_wmem's
            # 4 MiB here) absorbs first, so keep posting, bounded, while fast_two keeps reading
            # (so that it is not the one dropped).
            drain = asyncio.create_task(_drain(fast_two, "case"))
            try:
                posted = 0
                while await numsub(channel) != 1:
                    assert posted < 800, "the stuck client was never cut off"
                    for n in range(20):
                        await post(cluster.two, agent, case_id, f"more {n} {body}")
                    posted += 20
                    await asyncio.sleep(0.1)
            finally:
                drain.cancel()


async def test_a_subscription_over_http_is_refused_clearly(cluster: Cluster) -> None:
    agent = await cluster.token("agent@example.com")
    body = await cluster.one.gql(CASE_EVENTS, {}, agent)
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [
        "Subscriptions run over the WebSocket at /graphql (graphql-transport-ws)"
    ]

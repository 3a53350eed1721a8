"""The whole service under faults: `python -m app.serve` (uvicorn, a subprocess) on PostgreSQL and
Redis, both reached through the fault proxy; the order system and the payment gateway are the
bundled simulators (their own faults: tests/api/test_order_system_down.py,
tests/integration/test_order_resilience.py, tests/integration/refund_execution/).

The scenarios run in order on one server, under a bounded request loop (reads, postMessage and
requestRefund with idempotency keys) while an agent's subscription to every case stays open:

1. baseline;
2. PostgreSQL reset: every answer is served or a typed SERVICE_UNAVAILABLE with a retry hint,
   never a bare 500; served again soon after the restore; retried writes (same keys) take
   effect once;
3. PostgreSQL hanging: every answer comes within a deadline; /readyz answers quickly, 503;
4. Redis reset, then hanging: >= 99 % of the loop served (reads and mutations);
5. afterwards: every message once, no refund half-written or paid twice, and the subscription
   received every committed event exactly once;
6. SIGTERM (with the database hanging and the subscription open): the server exits within its
   grace period and closes the WebSocket.

Assertions use generous deadlines only (QUALITY.md: timing belongs in benchmarks); the measured
numbers go to docs/faults.md when FAULTS_REPORT names a file (`bench/faults.py` does that).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.e2e import serve_process
from tests.faults.proxy import FaultProxy
from tests.faults.service import (
    LATEST_CURSOR,
    LOGIN,
    MY_ORDERS,
    OPEN_CASE,
    Follower,
    Load,
    ProxyThread,
    Service,
    Tally,
    graphql,
    recover,
)
from tests.toolbox.services import (
    POSTGRES_URL,
    REDIS_URL,
    asyncpg_dsn,
    redis_or_skip,
    throwaway_database,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

# Generous bounds (never measured durations): the settings below make the real ones far shorter.
ANSWER_DEADLINE_S = 15.0  # every request, whatever the fault
RECOVERY_DEADLINE_S = 10.0  # served again after the restore
READYZ_DEADLINE_S = 5.0
SHUTDOWN_GRACE_S = 5.0
SHUTDOWN_DEADLINE_S = SHUTDOWN_GRACE_S + 10.0

SERVER_SETTINGS = {
    "DATABASE_CONNECT_TIMEOUT_SECONDS": "1",
    "DATABASE_STATEMENT_TIMEOUT_SECONDS": "2",
    "DATABASE_POOL_TIMEOUT_SECONDS": "1",
    "READINESS_TIMEOUT_SECONDS": "0.5",
    "UNAVAILABLE_RETRY_AFTER_SECONDS": "1",
    "SHUTDOWN_GRACE_SECONDS": str(SHUTDOWN_GRACE_S),
    "RUN_EMBEDDED_WORKER": "true",
    "REFUND_WORKER_POLL_SECONDS": "0.2",
    # A job whose outcome could not be recorded (the database went away just after the
    # gateway answered) is taken over when its lease ends: short here, so it settles in time.
    "PAYMENT_GATEWAY_TIMEOUT_SECONDS": "2",
    "REFUND_WORKER_LEASE_SECONDS": "3",
    "REFUND_REQUESTS_PER_DAY": "100000",
    "AUTO_APPROVE_MAX_RECENT_REFUNDS": "100000",
    "LOGIN_ATTEMPTS_PER_MINUTE": "1000",
    # Cost limits stay on (their shared budget lives in Redis too) with budgets this load
    # never exhausts.
    "COST_BUDGET_CUSTOMER": "100000000",
    "COST_REFILL_PER_SECOND_CUSTOMER": "1000000",
    "COST_BUDGET_STAFF": "100000000",
    "COST_REFILL_PER_SECOND_STAFF": "1000000",
    "LOG_LEVEL": "INFO",
}

NUMBERS: dict[str, dict[str, Any]] = {}


@dataclass
class World:
    proxies: ProxyThread
    pg: FaultProxy
    redis: FaultProxy
    server: serve_process.ServerProcess
    database_url: str
    service: Service
    load: Load
    follower: Follower
    start_cursor: int


def _redis_port() -> int:
    return urlsplit(REDIS_URL).port or 6379


def _proxied(url: str, port: int) -> str:
    scheme, rest = url.split("://", 1)
    credentials, _, host_and_path = rest.rpartition("@")
    _, _, path = host_and_path.partition("/")
    prefix = f"{credentials}@" if credentials else ""
    return f"{scheme}://{prefix}127.0.0.1:{port}/{path}"


@pytest.fixture(scope="module")
def proxies() -> Iterator[ProxyThread]:
    thread = ProxyThread()
    try:
        yield thread
    finally:
        thread.stop()


@pytest.fixture(scope="module")
async def world(
    proxies: ProxyThread, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    await redis_or_skip()
    async with throwaway_database("faults") as database_url:
        pg = proxies.proxy(_pg_port())
        redis = proxies.proxy(_redis_port())
        tmp = tmp_path_factory.mktemp("faults")
        settings = {
            **SERVER_SETTINGS,
            "DATABASE_URL": _proxied(database_url, pg.port),
            "REDIS_URL": _proxied(REDIS_URL, redis.port),
            "EVENT_CHANNEL_PREFIX": f"faults:{uuid.uuid4().hex[:8]}",
            "DATA_DIR": str(tmp / "data"),
        }
        try:
            with serve_process.serve(tmp / "server.log", wait=False, **settings) as server:
                await server.ready()
                async with httpx.AsyncClient(base_url=server.base_url, timeout=60.0) as http:
                    service = await _actors(http, server)
                    cursor = (await graphql(http, LATEST_CURSOR, token=service.agent)).data
                    assert cursor is not None
                    start_cursor = int(cursor["latestCaseEventCursor"])
                    follower = Follower(service.ws_url, service.agent, str(start_cursor))
                    follower.start()
                    await asyncio.wait_for(follower.connected.wait(), 10)
                    try:
                        yield World(
                            proxies=proxies,
                            pg=pg,
                            redis=redis,
                            server=server,
                            database_url=database_url,
                            service=service,
                            load=Load(service),
                            follower=follower,
                            start_cursor=start_cursor,
                        )
                    finally:
                        await follower.stop()
        finally:
            report = os.environ.get("FAULTS_REPORT")
            if report and NUMBERS:
                text = json.dumps(NUMBERS, indent=2) + "\n"
                await asyncio.to_thread(Path(report).write_text, text)


def _pg_port() -> int:
    return make_url(POSTGRES_URL).port or 5432


async def _actors(http: httpx.AsyncClient, server: serve_process.ServerProcess) -> Service:
    async def login(email: str) -> str:
        answer = await graphql(http, LOGIN, {"e": email, "p": "demo-password"})
        assert answer.ok and answer.data is not None, answer.detail
        return str(answer.data["login"]["accessToken"])

    alice, agent = await login("alice@example.com"), await login("agent@example.com")
    orders = await graphql(http, MY_ORDERS, token=alice)
    assert orders.data is not None, orders.detail
    nodes = [e["node"] for e in orders.data["myOrders"]["edges"]]
    delivered = next(n for n in nodes if n["total"]["amount"] == 12000)
    opened = await graphql(
        http,
        OPEN_CASE,
        {
            "input": {
                "subject": "Fault suite",
                "description": "Refunds and messages under faults.",
                "category": "REFUND_REQUEST",
                "orderId": delivered["id"],
            }
        },
        alice,
    )
    assert opened.data is not None and opened.data["openCase"]["__typename"] == "CaseOpened"
    case_id = opened.data["openCase"]["supportCase"]["id"]
    return Service(
        http=http,
        alice=alice,
        agent=agent,
        case_id=case_id,
        ws_url=f"{server.base_url}/graphql",
    )


def _failures(tally: Tally) -> str:
    return "\n".join(tally.failed[:10])


async def _fault_window(
    world: World,
    name: str,
    proxy: FaultProxy,
    fault: str,
    *,
    before: float = 1.0,
    during: float = 3.0,
    after: float = 3.0,
    probe_readyz: bool = False,
) -> Tally:
    """The load before, during and after a fault of `proxy`; the numbers under `name`."""
    tally = Tally()
    load = world.load
    restored: list[float] = []
    readyz: list[tuple[int, float]] = []

    async def login() -> None:  # the shared rate limit (Redis) is on the way of every login
        await asyncio.sleep(during / 2)
        started = time.monotonic()
        answer = await graphql(
            world.service.http, LOGIN, {"e": "sam@example.com", "p": "demo-password"}
        )
        load.record(tally, answer, started, None)

    async def probe() -> None:
        await asyncio.sleep(during / 2)
        started = time.monotonic()
        response = await world.service.http.get("/readyz")
        readyz.append((response.status_code, time.monotonic() - started))

    await load.run(tally, seconds=before)
    world.proxies.set(proxy, FaultProxy.reset if fault == "reset" else FaultProxy.blackhole)
    if fault == "reset":
        world.proxies.close_all(proxy)  # also the pooled connections, at once
    work = [load.run(tally, seconds=during)]
    if probe_readyz:
        work.append(probe())
    if proxy is world.redis:
        work.append(login())
    await asyncio.gather(*work)
    world.proxies.set(proxy, FaultProxy.passthrough)
    restored.append(time.monotonic())
    await load.run(tally, seconds=after, restored_at=lambda: restored[0])
    if tally.recovered_after is None:
        tally.recovered_after = await recover(
            world.service.http, world.service.alice, world.service.case_id, restored[0]
        )
    NUMBERS[name] = tally.numbers() | {"fault_seconds": during}
    if readyz:
        NUMBERS[name]["readyz_during_fault"] = {
            "status": readyz[0][0],
            "seconds": round(readyz[0][1], 2),
        }
    assert not readyz or readyz[0][0] == 503, readyz
    assert not readyz or readyz[0][1] < READYZ_DEADLINE_S, readyz
    return tally


async def test_baseline(world: World) -> None:
    tally = Tally()
    await world.load.run(tally, seconds=1.5)
    NUMBERS["baseline"] = tally.numbers()
    assert tally.served == tally.total, _failures(tally)


async def test_postgres_reset_answers_typed_retryable_errors(world: World) -> None:
    tally = await _fault_window(world, "postgres_reset", world.pg, "reset", during=3.0)
    assert not tally.failed, _failures(tally)  # every answer: served, or typed with a hint
    assert tally.unavailable > 0  # the fault did reach the requests
    assert tally.slowest < ANSWER_DEADLINE_S
    assert tally.recovered_after is not None and tally.recovered_after < RECOVERY_DEADLINE_S


async def test_postgres_hanging_answers_within_deadlines(world: World) -> None:
    tally = await _fault_window(
        world, "postgres_hanging", world.pg, "blackhole", during=4.0, probe_readyz=True
    )
    assert not tally.failed, _failures(tally)
    assert tally.unavailable > 0
    assert tally.slowest < ANSWER_DEADLINE_S
    assert tally.recovered_after is not None and tally.recovered_after < RECOVERY_DEADLINE_S


async def test_redis_reset_and_hanging_keep_cases_working(world: World) -> None:
    for name, fault in (("redis_reset", "reset"), ("redis_hanging", "blackhole")):
        tally = await _fault_window(world, name, world.redis, fault, during=3.0, after=2.0)
        assert tally.served >= 0.99 * tally.total, _failures(tally)
        assert tally.slowest < ANSWER_DEADLINE_S


async def test_nothing_lost_nothing_twice(world: World) -> None:
    load = world.load
    still_failing = await load.retry_pending()
    assert not still_failing, still_failing
    dsn = asyncpg_dsn(world.database_url)
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        # Every message once (retries with the same key replayed the first result); none for
        # a refused postMessage (a Conflict with a concurrent write: nothing was written).
        bodies = list(load.keys.values())
        expected = {
            body: 1 if load.outcomes.get(key) == "MessagePosted" else None
            for key, body in load.keys.items()
        }
        counts = dict(
            await conn.fetch(
                "SELECT body, count(*) FROM messages WHERE body = ANY($1::text[]) GROUP BY body",
                bodies,
            )
        )
        wrong = {b: (counts.get(b), expected[b]) for b in bodies if counts.get(b) != expected[b]}
        assert not wrong, (wrong, {k: v for k, v in load.outcomes.items() if k in str(wrong)})
        # Refunds: each one has its key (nothing half-written), the ledger's reservation is the
        # sum of what is still owed or paid, and (once the worker is done) one payout each.
        refunds = await _settled_refunds(conn)
        keyed = await conn.fetchval(
            "SELECT count(*) FROM idempotency_keys WHERE operation = 'requestRefund'"
        )
        assert keyed == len(refunds)
        ledger = await conn.fetchrow("SELECT total_minor, reserved_minor FROM refund_ledger")
        assert ledger is not None and ledger["reserved_minor"] <= ledger["total_minor"]
        owed = sum(r["amount_minor"] for r in refunds if r["status"] not in _RELEASED)
        assert ledger["reserved_minor"] == owed, (dict(ledger), owed)
    finally:
        await conn.close()
    ledger_json = (await world.service.http.get("/_sim/payments/_ledger")).json()
    # The gateway's idempotency key is "<refund id>:<attempt>": one payout per refund, ever.
    paid = [p["idempotency_key"].rsplit(":", 1)[0] for p in ledger_json["payouts"]]
    assert len(paid) == len(set(paid)), "a refund was paid twice"
    statuses = {r["id"]: r["status"] for r in refunds}
    succeeded = {i for i, status in statuses.items() if status == "SUCCEEDED"}
    assert set(paid) == succeeded, {i: statuses.get(i) for i in set(paid) ^ succeeded}
    NUMBERS["money"] = {
        "refunds": len(refunds),
        "paid": len(paid),
        "messages": len(bodies),
        "retried_writes": load.retried,
        "outcomes": dict(Counter(load.outcomes.values())),
    }


_RELEASED = {"REJECTED", "CANCELLED", "FAILED"}
_IN_FLIGHT = {"APPROVED", "PROCESSING"}


async def _settled_refunds(conn: asyncpg.Connection, deadline: float = 20.0) -> list[Any]:
    stop_at = time.monotonic() + deadline
    while True:
        rows = await conn.fetch("SELECT id, status, amount_minor FROM refunds")
        if not any(r["status"] in _IN_FLIGHT for r in rows) or time.monotonic() > stop_at:
            return rows
        await asyncio.sleep(0.2)


async def test_subscription_received_every_event_exactly_once(world: World) -> None:
    dsn = asyncpg_dsn(world.database_url)
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        committed = [
            int(r["sequence"])
            for r in await conn.fetch(
                "SELECT sequence FROM case_events WHERE sequence > $1 ORDER BY sequence",
                world.start_cursor,
            )
        ]
    finally:
        await conn.close()
    follower = world.follower
    assert await follower.caught_up(committed), sorted(set(committed) - set(follower.received))
    received = [s for s in follower.received if s in set(committed)]
    NUMBERS["live_updates"] = {
        "events": len(committed),
        "received": len(follower.received),
        "reconnects": follower.reconnects,
    }
    assert received == committed  # each once, in log order
    assert follower.received == sorted(set(follower.received))  # no duplicates at all


async def test_sigterm_stops_within_grace_with_the_database_hanging(world: World) -> None:
    follower = world.follower
    await asyncio.wait_for(follower.connected.wait(), 10)
    world.proxies.set(world.pg, FaultProxy.blackhole)
    # A request stuck on the hanging database while the signal arrives.
    stuck = asyncio.create_task(
        graphql(
            world.service.http,
            "{ supportCases(first: 5) { edges { node { id } } } }",
            token=world.service.agent,
        )
    )
    await asyncio.sleep(0.3)
    started = time.monotonic()
    world.server.process.send_signal(signal.SIGTERM)
    follower.stopping = True
    with contextlib.suppress(subprocess.TimeoutExpired):
        await asyncio.to_thread(world.server.process.wait, 60)
    took = time.monotonic() - started
    answer = await stuck
    world.proxies.set(world.pg, FaultProxy.passthrough)
    await asyncio.sleep(0.2)
    NUMBERS["sigterm_database_hanging"] = {
        "exit_seconds": round(took, 2),
        "grace_seconds": SHUTDOWN_GRACE_S,
        "exit_code": world.server.process.returncode,
        "websocket_close_codes": follower.close_codes,
        "stuck_request": answer.detail[:80],
    }
    assert world.server.process.returncode is not None, "still running after SIGTERM"
    assert took < SHUTDOWN_DEADLINE_S
    assert follower.server_closed.is_set(), follower.errors[-3:]

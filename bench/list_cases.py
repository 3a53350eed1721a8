"""Benchmark "list 50 cases": an agent lists 50 support cases with their order, customer,
assignee, last message and refunds.

One run, side by side, against the same seeded PostgreSQL database:
- graphql, warm cache: the app as deployed (orders cached in Redis, fresh for 60 s);
- graphql, cold cache: the same app with ORDER_CACHE_FRESH_SECONDS=0 (every request asks the
  order system once: one batch call, plus the Redis read and write of the cache);
- bare Starlette (floor): the same authentication, the same SQL statements and one order-system
  batch call (no cache), JSON out by hand (bench/_server.py `/bare/cases`).

Each runs in its own server process (uvicorn, one worker, uvloop/httptools; the app's request
log off); the order simulator runs in this process's own thread (uvicorn) so that its work is
not counted as the server's. Measured per workload: server CPU-ms per request (time.process_time
of the server process around the requests), SQL statements and order-system calls per request,
latency p50/p99 of sequential requests, and throughput (and p50/p99) with concurrent clients.

    python -m bench.list_cases [--requests 300] [--concurrency 16] [--cases 60]

Needs PostgreSQL (BENCH_POSTGRES_URL, default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres:
a throwaway database is created next to it and dropped at the end) and Redis (BENCH_REDIS_URL,
default redis://127.0.0.1:6379/14, and BENCH_COLD_REDIS_URL, default .../13, for the cold-cache
server). Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
import uvicorn

from adapters.order_system.simulator import (
    CALL_BATCH,
    OrderSimulatorState,
    create_order_simulator,
    make_order,
    simulator_state,
)
from app.main import build_runtime, seed
from app.settings import Settings
from bench._machine import machine_and_python, postgres_version
from domain.cases import CaseCategory
from domain.refunds import RefundReason, RefundRequest
from domain.usecases.assign_case import assign_case
from domain.usecases.open_case import OpenCase, open_case
from domain.usecases.post_message import post_message
from domain.usecases.request_refund import request_refund
from domain.users import Principal, Role, User
from tests.toolbox.graphql import CASE_LIST_NODE
from tests.toolbox.network import free_port
from tests.toolbox.processes import Spawned, spawn_process
from tests.toolbox.services import throwaway_database

PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
# The cold-cache server gets a Redis database of its own: it must never read the warm server's
# fresh entries.
COLD_REDIS_URL = os.environ.get("BENCH_COLD_REDIS_URL", "redis://127.0.0.1:6379/13")

QUERY = f"""
query($first: Int!) {{
  supportCases(first: $first) {{{CASE_LIST_NODE}
  }}
}}"""


# -- infrastructure -----------------------------------------------------------------------------


@contextlib.contextmanager
def simulator_thread(state_app: Any) -> Iterator[str]:
    """The order simulator on 127.0.0.1:<free port>, in a thread with its own event loop."""
    port = free_port()
    config = uvicorn.Config(state_app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="order-simulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the order simulator did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def server_process(name: str, env: dict[str, str]) -> Iterator[Spawned]:
    """bench/_server.py on a free port, ready on /healthz; its log in /tmp."""
    port = free_port()
    with spawn_process(
        [sys.executable, "-m", "bench._server", "--port", str(port)],
        name=f"server {name}",
        port=port,
        ready_url=f"http://127.0.0.1:{port}/healthz",
        env={**os.environ, **env},
        log_path=Path(f"/tmp/bench-{name.replace(' ', '-')}-{port}.log"),
        stop_timeout=15,
    ) as server:
        yield server


# -- data -----------------------------------------------------------------------------------------


async def seed_data(settings: Settings, orders: OrderSimulatorState, cases: int) -> None:
    """Demo users, then `cases` cases over 6 customers: each about its own delivered order, with
    a customer message, an agent reply or internal note, half assigned, two refunds per customer."""
    now = datetime.now(UTC).replace(microsecond=0)
    async with build_runtime(settings) as runtime:
        await seed(runtime)
        services = runtime.services
        agent_user = (await services.reads.staff_users())[0]
        agent = Principal(agent_user.id, agent_user.role, session_id="bench")
        customers: list[tuple[Principal, str]] = []
        for n in range(6):
            ref = f"cust-bench-{n}"
            user = User(
                id=str(uuid.uuid4()),
                email=f"bench{n}@example.com",
                name=f"Bench Customer {n}",
                role=Role.CUSTOMER,
                password_hash=services.passwords.hash("demo-password"),
                created_at=now,
                external_customer_id=ref,
            )
            async with services.uow() as uow:
                await uow.users.add(user)
                await uow.commit()
            customers.append((Principal(user.id, Role.CUSTOMER, session_id="bench"), ref))
        refunds: dict[str, int] = {}
        for n in range(cases):
            customer, ref = customers[n % len(customers)]
            order_id = f"ord-bench-{n:03d}"
            orders.upsert(
                make_order(
                    id=order_id,
                    number=f"#B{n:03d}",
                    customer_id=ref,
                    status="DELIVERED",
                    placed_at=now - timedelta(days=6),
                    delivered_at=now - timedelta(days=2),
                    lines=[("SKU-B1", "Bench mug", 2, 1500), ("SKU-B2", "Bench lamp", 1, 4200)],
                    shipping=500,
                )
            )
            case = await open_case(
                services,
                customer,
                OpenCase(
                    subject=f"Bench case {n}",
                    description="It arrived damaged.",
                    category=CaseCategory.PRODUCT_ISSUE,
                    order_id=order_id,
                ),
            )
            await post_message(services, customer, case.id, f"Hello, about order {n}")
            await post_message(
                services, agent, case.id, f"Looking into it ({n})", internal=n % 3 == 0
            )
            if n % 2 == 0:
                await assign_case(services, agent, case.id, agent.user_id)
            if refunds.get(ref, 0) < 2:
                await request_refund(
                    services,
                    customer,
                    case.id,
                    RefundRequest(reason=RefundReason.DAMAGED, amount=1500),
                )
                refunds[ref] = refunds.get(ref, 0) + 1


# -- measuring ------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    requests: int
    cpu_ms: float
    statements: float
    order_calls: float
    p50_ms: float
    p99_ms: float
    concurrency: int
    throughput: float
    loaded_p50_ms: float
    loaded_p99_ms: float
    loaded_cpu_ms: float


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def stats(client: httpx.AsyncClient, server: Spawned) -> dict[str, float]:
    response = await client.get(f"{server.base_url}/_bench/stats")
    data: dict[str, float] = response.json()
    return data


async def run_workload(
    name: str,
    server: Spawned,
    request: Any,
    orders: OrderSimulatorState,
    *,
    requests: int,
    concurrency: int,
    case_list: bool = True,
) -> Result:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one() -> float:
            started = time.perf_counter()
            response = await request(client)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text[:500]
            if case_list:
                body = response.json()
                assert "errors" not in body, str(body)[:500]
                edges = body["data"]["supportCases"]["edges"]
                assert len(edges) == 50
                assert all(e["node"]["order"] and not e["node"]["order"]["stale"] for e in edges)
            return elapsed

        for _ in range(30):  # warm-up: connections, caches, JIT-less Python's first calls
            await one()

        # Sequential: latency, CPU, statements and order calls per request.
        before = await stats(client, server)
        calls_before = orders.calls[CALL_BATCH]
        latencies = [await one() for _ in range(requests)]
        after = await stats(client, server)
        calls = orders.calls[CALL_BATCH] - calls_before
        # (the two stats requests cost no SQL; their CPU is noise well below 1 %.)
        cpu_ms = (after["cpu_seconds"] - before["cpu_seconds"]) * 1000 / requests
        statements = (after["statements"] - before["statements"]) / requests

        # Concurrent: throughput.
        queue = list(range(requests * 2))
        loaded: list[float] = []

        async def worker() -> None:
            while queue:
                queue.pop()
                loaded.append(await one())

        before = await stats(client, server)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
        after = await stats(client, server)
    return Result(
        name=name,
        requests=requests,
        cpu_ms=cpu_ms,
        statements=statements,
        order_calls=calls / requests,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        concurrency=concurrency,
        throughput=len(loaded) / wall,
        loaded_p50_ms=percentile(loaded, 0.50) * 1000,
        loaded_p99_ms=percentile(loaded, 0.99) * 1000,
        loaded_cpu_ms=(after["cpu_seconds"] - before["cpu_seconds"]) * 1000 / len(loaded),
    )


async def login(url: str, email: str) -> str:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{url}/graphql",
            json={
                "query": "mutation($e: String!) { login(input: {email: $e, "
                'password: "demo-password"}) { ... on AuthSession { accessToken } } }',
                "variables": {"e": email},
            },
        )
        token: str = response.json()["data"]["login"]["accessToken"]
        return token


# -- report ---------------------------------------------------------------------------------------


async def environment(database_url: str, load_before: str) -> list[str]:
    pg = await postgres_version(database_url)
    client = aioredis.from_url(REDIS_URL)
    try:
        redis_version = (await client.info("server"))["redis_version"]
    finally:
        await client.aclose()
    packages = (
        "strawberry-graphql",
        "graphql-core",
        "starlette",
        "uvicorn",
        "uvloop",
        "httptools",
        "sqlalchemy",
        "asyncpg",
        "redis",
        "httpx",
    )
    return [
        *machine_and_python(packages),
        f"- PostgreSQL {pg} and Redis {redis_version} on the same machine (127.0.0.1)",
        f"- Load average (1/5/15 min) before the run: {load_before}; at its end: "
        + " / ".join(f"{x:.2f}" for x in os.getloadavg())
        + " (this run itself keeps about 1.5 CPUs busy: server, client, order simulator)",
    ]


def report(results: list[Result], env: list[str], args: argparse.Namespace, when: str) -> str:
    lines = [
        f"Run of {when} (`python -m bench.list_cases --requests {args.requests} "
        f"--concurrency {args.concurrency} --cases {args.cases}`):",
        "",
        *env,
        "",
        "| workload | server CPU-ms/req | SQL stmts/req | order calls/req | p50 ms | p99 ms "
        f"| req/s at {args.concurrency} clients | p50 / p99 ms loaded | CPU-ms/req loaded |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.cpu_ms:.2f} | {r.statements:.2f} | {r.order_calls:.2f} "
            f"| {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.throughput:.0f} "
            f"| {r.loaded_p50_ms:.1f} / {r.loaded_p99_ms:.1f} | {r.loaded_cpu_ms:.2f} |"
        )
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace) -> None:
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    simulator = create_order_simulator(orders=[])
    orders = simulator_state(simulator)
    async with throwaway_database("bench", server_url=PG_ADMIN_URL) as database_url:
        with simulator_thread(simulator) as order_system_url:
            env = {
                "APP_ENV": "test",
                "DATABASE_URL": database_url,
                "REDIS_URL": REDIS_URL,
                "ORDER_SYSTEM_URL": order_system_url,
                "LOG_LEVEL": "WARNING",
                "SEED_DEMO_DATA": "false",
                "RUN_EMBEDDED_WORKER": "false",
                "RUN_SLA_SCHEDULER": "false",
                "LOGIN_ATTEMPTS_PER_MINUTE": "100000",
                # Query costs are still computed and spent (in Redis), from budgets a benchmark
                # never exhausts: it measures the service, not the rate limit.
                "COST_BUDGET_STAFF": "1000000000",
                "COST_REFILL_PER_SECOND_STAFF": "1000000000",
                "COST_BUDGET_CUSTOMER": "1000000000",
                "COST_REFILL_PER_SECOND_CUSTOMER": "1000000000",
            }
            settings = Settings(
                **{k.lower(): v for k, v in env.items() if k not in ("APP_ENV", "LOG_LEVEL")},
                app_env="test",
            )
            await seed_data(settings, orders, args.cases)
            # Start from a cold Redis cache for these order ids.
            client = aioredis.from_url(REDIS_URL)
            try:
                keys = [f"orders:ord-bench-{n:03d}" for n in range(args.cases)]
                await client.delete(*keys)
            finally:
                await client.aclose()

            results: list[Result] = []
            cold_env = {**env, "ORDER_CACHE_FRESH_SECONDS": "0", "REDIS_URL": COLD_REDIS_URL}
            with (
                server_process("warm", env) as warm,
                server_process("cold", cold_env) as cold,
            ):
                token = await login(warm.base_url, "agent@example.com")
                auth = {"Authorization": f"Bearer {token}"}
                body = {"query": QUERY, "variables": {"first": 50}}

                def graphql(server: Spawned) -> Any:
                    async def call(client: httpx.AsyncClient) -> httpx.Response:
                        return await client.post(
                            f"{server.base_url}/graphql", json=body, headers=auth
                        )

                    return call

                async def bare(client: httpx.AsyncClient) -> httpx.Response:
                    return await client.get(f"{warm.base_url}/bare/cases?first=50", headers=auth)

                async def healthz(client: httpx.AsyncClient) -> httpx.Response:
                    return await client.get(f"{warm.base_url}/healthz")

                for name, server, request in (
                    ("GraphQL (Strawberry), warm order cache", warm, graphql(warm)),
                    ("GraphQL (Strawberry), cold order cache", cold, graphql(cold)),
                    ("bare Starlette floor (same SQL + 1 order call)", warm, bare),
                    ("GET /healthz (the HTTP stack alone, for scale)", warm, healthz),
                ):
                    print(f"running: {name}", file=sys.stderr, flush=True)
                    results.append(
                        await run_workload(
                            name,
                            server,
                            request,
                            orders,
                            requests=args.requests,
                            concurrency=args.concurrency,
                            case_list=request is not healthz,
                        )
                    )
            lines = await environment(database_url, load_before)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(report(results, lines, args, when))


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark: list 50 cases")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--cases", type=int, default=60)
    args = parser.parse_args()
    if args.cases < 50:
        parser.error("--cases must be at least 50 (the page is 50)")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()

"""The benchmark harness (`make bench`): every workload against its floors and peers, in one run.

Workloads (bench/_workloads.py), on PostgreSQL + Redis with 60 seeded cases:
- the agent's queue page (50 cases with customer, assignee, order, last message, refunds);
- the same page with the first 5 messages of each case and their authors;
- `postMessage` (an agent's reply: one transaction, an event published).

Variants of each page, measured in the same run (so that ratios, not absolute times, carry):
- data floor: the same SQL and one order-system call, no GraphQL (bench/_peers.py);
- graphql-core alone: graphql-core executing the same document over the same data held in
  memory (the service's response, default resolvers; in this process, no HTTP);
- this service (warm order cache, as deployed);
- naive Strawberry: the same schema with DataLoaders that do not batch;
- Ariadne over schema.graphql with resolvers over the same read store.
Per variant: server CPU-ms per request, SQL statements and order-system calls per request,
p50/p99 of sequential requests, requests/s with concurrent clients. Then the queue page's
requests/s with 1 and 2 API processes (`python -m app.production`, API_WORKERS).

Writes docs/bench-list-cases.md (tables, ratios against the floors) and
docs/bench-list-cases.svg (the chart); BENCH_QUICK=1 runs every step with a few requests and
writes to --out (tests/bench). Needs PostgreSQL (BENCH_POSTGRES_URL) and Redis (BENCH_REDIS_URL).

    python -m bench.harness [--requests 150] [--concurrency 8] [--out docs]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn

from adapters.order_system.simulator import (
    CALL_BATCH,
    OrderSimulatorState,
    create_order_simulator,
    simulator_state,
)
from app.graphql.ids import decode_id
from bench._machine import machine_and_python, postgres_version
from bench._workloads import (
    MESSAGES_PAGE,
    POST_MESSAGE,
    QUEUE_PAGE,
    bench_env,
    seed_data,
    settings_from,
)
from tests.toolbox.network import free_port
from tests.toolbox.processes import Spawned, spawn_process
from tests.toolbox.services import throwaway_database

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
QUICK = os.environ.get("BENCH_QUICK") == "1"

Request = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


# -- infrastructure -----------------------------------------------------------------------------


@contextlib.contextmanager
def simulator_thread(state_app: Any) -> Iterator[str]:
    """The order simulator on 127.0.0.1:<free port>, in a thread with its own event loop (its
    work is not the server's)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(state_app, host="127.0.0.1", port=port, log_level="warning")
    )
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
def server(name: str, module: str, env: dict[str, str]) -> Iterator[Spawned]:
    port = free_port()
    args = [sys.executable, "-m", module]
    if module == "bench._server":
        args += ["--port", str(port)]
    with spawn_process(
        args,
        name=name,
        port=port,
        ready_url=f"http://127.0.0.1:{port}/healthz",
        env={**os.environ, **env, "PORT": str(port), "HOST": "127.0.0.1"},
        log_path=Path(f"/tmp/bench-{name.replace(' ', '-')}-{port}.log"),
        stop_timeout=15,
        deadline=120,  # worker processes import the app each: slow on a loaded machine
    ) as spawned:
        yield spawned


# -- measuring ----------------------------------------------------------------------------------


@dataclass
class Result:
    workload: str
    variant: str
    cpu_ms: float | None = None  # server CPU per request (graphql-core alone: this process)
    statements: float | None = None
    order_calls: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    rps: float | None = None
    same_data: bool | None = None
    notes: list[str] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def stats(client: httpx.AsyncClient, base_url: str) -> dict[str, float]:
    data: dict[str, float] = (await client.get(f"{base_url}/_bench/stats")).json()
    return data


async def measure(
    workload: str,
    variant: str,
    base_url: str,
    request: Request,
    orders: OrderSimulatorState,
    *,
    requests: int,
    concurrency: int,
    check: Callable[[httpx.Response], None],
    with_stats: bool = True,
) -> tuple[Result, httpx.Response]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        last: list[httpx.Response] = []

        async def one() -> float:
            started = time.perf_counter()
            response = await request(client)
            elapsed = time.perf_counter() - started
            check(response)
            last[:] = [response]
            return elapsed

        for _ in range(max(3, min(20, requests // 5))):  # warm-up
            await one()
        result = Result(workload, variant)
        before = await stats(client, base_url) if with_stats else {}
        calls_before = orders.calls[CALL_BATCH]
        latencies = [await one() for _ in range(requests)]
        if with_stats:
            after = await stats(client, base_url)
            result.cpu_ms = (after["cpu_seconds"] - before["cpu_seconds"]) * 1000 / requests
            result.statements = (after["statements"] - before["statements"]) / requests
        result.order_calls = (orders.calls[CALL_BATCH] - calls_before) / requests
        result.p50_ms = percentile(latencies, 0.50) * 1000
        result.p99_ms = percentile(latencies, 0.99) * 1000
        queue = list(range(requests * 2))

        async def worker() -> None:
            while queue:
                queue.pop()
                await one()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.rps = requests * 2 / (time.perf_counter() - started)
        return result, last[0]


def graphql_core_alone(workload: str, query: str, data: dict[str, Any], runs: int) -> Result:
    """graphql-core executing `query` over `data` (the service's response) held in memory, in a
    fresh process (bench/_core_alone.py): default resolvers over dicts, schema.graphql."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "spec.json"
        spec.write_bytes(
            orjson.dumps({"query": query, "data": data, "variables": {"first": 50}, "runs": runs})
        )
        done = subprocess.run(
            [sys.executable, "-m", "bench._core_alone", str(spec)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    measured = orjson.loads(done.stdout)
    times: list[float] = measured["times"]
    result = Result(workload, "graphql-core alone (data in memory)")
    result.cpu_ms = sum(times) * 1000 / len(times)
    result.statements = 0
    result.order_calls = 0
    result.p50_ms = percentile(times, 0.5) * 1000
    result.p99_ms = percentile(times, 0.99) * 1000
    result.rps = 1000 / result.cpu_ms
    result.same_data = bool(measured["same"])
    return result


def case_list_check(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text[:500]
    body = orjson.loads(response.content)
    assert "errors" not in body, str(body)[:500]
    edges = body["data"]["supportCases"]["edges"]
    assert len(edges) == 50, len(edges)
    assert all(e["node"]["order"] and not e["node"]["order"]["stale"] for e in edges)


def posted_check(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text[:500]
    body = orjson.loads(response.content)
    assert body["data"]["postMessage"]["__typename"] == "MessagePosted", body


async def login(base_url: str, email: str) -> str:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{base_url}/graphql",
            json={
                "query": "mutation($e: String!) { login(input: {email: $e, "
                'password: "demo-password"}) { ... on AuthSession { accessToken } } }',
                "variables": {"e": email},
            },
        )
        token: str = response.json()["data"]["login"]["accessToken"]
        return token


async def case_ids(base_url: str, token: str) -> list[str]:
    """The ids of 50 cases: concurrent posts go to different cases (two at once on one case
    are a Conflict, by design)."""
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{base_url}/graphql",
            json={"query": "{ supportCases(first: 50) { edges { node { id } } } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        edges = response.json()["data"]["supportCases"]["edges"]
        return [edge["node"]["id"] for edge in edges]


def _poster(url: str, query: str, headers: dict[str, str]) -> Request:
    body = {"query": query, "variables": {"first": 50}}

    async def call(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post(url, json=body, headers=headers)

    return call


# -- the run ------------------------------------------------------------------------------------


@dataclass
class Run:
    results: list[Result]
    scale: list[tuple[int, float]]
    environment: list[str]
    args: argparse.Namespace
    when: str


async def run(args: argparse.Namespace) -> Run:
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    simulator = create_order_simulator(orders=[])
    orders = simulator_state(simulator)
    results: list[Result] = []
    scale: list[tuple[int, float]] = []
    n, c = args.requests, args.concurrency
    async with throwaway_database("bench", server_url=PG_ADMIN_URL) as database_url:
        with simulator_thread(simulator) as order_system_url:
            env = bench_env(database_url, order_system_url, REDIS_URL)
            await seed_data(settings_from(env), orders, args.cases)
            with server("bench server", "bench._server", env) as bench_server:
                url = bench_server.base_url
                token = await login(url, "agent@example.com")
                auth = {"Authorization": f"Bearer {token}"}

                def post(path: str, query: str) -> Request:
                    body = {"query": query, "variables": {"first": 50}}

                    async def call(client: httpx.AsyncClient) -> httpx.Response:
                        return await client.post(f"{url}{path}", json=body, headers=auth)

                    return call

                def get(path: str) -> Request:
                    async def call(client: httpx.AsyncClient) -> httpx.Response:
                        return await client.get(f"{url}{path}", headers=auth)

                    return call

                for workload, query, floor_path in (
                    ("queue page", QUEUE_PAGE, "/bare/cases?first=50"),
                    ("5-messages page", MESSAGES_PAGE, "/bare/cases?first=50&messages=5"),
                ):
                    print(f"running: {workload}", file=sys.stderr, flush=True)
                    floor, floor_response = await measure(
                        workload, "data floor (same SQL + 1 order call)", url, get(floor_path),
                        orders, requests=n, concurrency=c, check=case_list_check,
                    )  # fmt: skip
                    service, service_response = await measure(
                        workload, "this service (Strawberry)", url, post("/graphql", query),
                        orders, requests=n, concurrency=c, check=case_list_check,
                    )  # fmt: skip
                    data = orjson.loads(service_response.content)["data"]
                    floor.same_data = orjson.loads(floor_response.content)["data"] == data
                    service.same_data = True
                    core = graphql_core_alone(workload, query, data, runs=n)
                    naive, naive_response = await measure(
                        workload, "naive Strawberry (no DataLoaders)", url,
                        post("/naive/graphql", query), orders, requests=max(3, n // 5),
                        concurrency=1, check=case_list_check,
                    )  # fmt: skip
                    naive.same_data = orjson.loads(naive_response.content)["data"] == data
                    ariadne, ariadne_response = await measure(
                        workload, "Ariadne (schema.graphql)", url,
                        post("/ariadne/graphql", query), orders, requests=n,
                        concurrency=c, check=case_list_check,
                    )  # fmt: skip
                    ariadne.same_data = orjson.loads(ariadne_response.content)["data"] == data
                    results += [floor, core, service, naive, ariadne]

                print("running: postMessage", file=sys.stderr, flush=True)
                cases = await case_ids(url, token)
                internal_ids = [decode_id(case) for case in cases]
                counter = iter(range(10**9))

                async def post_graphql(client: httpx.AsyncClient) -> httpx.Response:
                    n = next(counter)
                    variables = {"input": {"caseId": cases[n % len(cases)], "body": f"bench {n}"}}
                    return await client.post(
                        f"{url}/graphql",
                        json={"query": POST_MESSAGE, "variables": variables},
                        headers=auth,
                    )

                async def post_bare(client: httpx.AsyncClient) -> httpx.Response:
                    n = next(counter)
                    decoded = internal_ids[n % len(internal_ids)]
                    assert decoded is not None
                    return await client.post(
                        f"{url}/bare/messages",
                        json={"caseId": decoded[1], "body": f"bench {n}"},
                        headers=auth,
                    )

                bare, _ = await measure(
                    "postMessage", "data floor (same use case, JSON out)", url, post_bare,
                    orders, requests=n, concurrency=c, check=posted_check,
                )  # fmt: skip
                posted, _ = await measure(
                    "postMessage", "this service (Strawberry)", url, post_graphql, orders,
                    requests=n, concurrency=c, check=posted_check,
                )  # fmt: skip
                results += [bare, posted]

            for workers in (1, 2):
                print(f"running: queue page, {workers} API process(es)", file=sys.stderr)
                with server(
                    f"api x{workers}", "app.production", {**env, "API_WORKERS": str(workers)}
                ) as api:
                    api_token = await login(api.base_url, "agent@example.com")
                    api_auth = {"Authorization": f"Bearer {api_token}"}
                    result, _ = await measure(
                        "queue page", f"{workers} API process(es)", api.base_url,
                        _poster(f"{api.base_url}/graphql", QUEUE_PAGE, api_auth), orders,
                        requests=n, concurrency=c, check=case_list_check, with_stats=False,
                    )  # fmt: skip
                    assert result.rps is not None
                    scale.append((workers, result.rps))
            pg = await postgres_version(database_url)
    packages = (
        "strawberry-graphql", "graphql-core", "ariadne", "starlette", "uvicorn", "uvloop",
        "sqlalchemy", "asyncpg", "redis", "orjson",
    )  # fmt: skip
    environment = [
        *machine_and_python(packages),
        f"- PostgreSQL {pg} and Redis on the same machine (127.0.0.1)",
        f"- Load average (1/5/15 min) before the run: {load_before}; at its end: "
        + " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    ]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return Run(results, scale, environment, args, when)


# -- the report ---------------------------------------------------------------------------------


def _f(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def ratios(run: Run) -> list[str]:
    by = {(r.workload, r.variant.split(" (")[0]): r for r in run.results}
    lines = [
        "| workload | service CPU / data floor | service CPU / graphql-core alone "
        "| naive / floor | Ariadne / floor | service req/s / floor req/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for workload in ("queue page", "5-messages page", "postMessage"):
        floor = by.get((workload, "data floor"))
        service = by.get((workload, "this service"))
        core = by.get((workload, "graphql-core alone"))
        naive = by.get((workload, "naive Strawberry"))
        ariadne = by.get((workload, "Ariadne"))
        if floor is None or service is None:
            continue

        def ratio(a: Result | None, b: Result | None, attr: str = "cpu_ms") -> str:
            x = getattr(a, attr, None) if a else None
            y = getattr(b, attr, None) if b else None
            return f"{x / y:.2f}x" if x and y else "-"

        lines.append(
            f"| {workload} | {ratio(service, floor)} | {ratio(service, core)} "
            f"| {ratio(naive, floor)} | {ratio(ariadne, floor)} "
            f"| {ratio(service, floor, 'rps')} |"
        )
    return lines


def svg_chart(run: Run) -> str:
    """Horizontal bars: server CPU-ms per request of every variant, grouped by workload."""
    rows = [r for r in run.results if r.cpu_ms is not None]
    top = max(r.cpu_ms or 0 for r in rows) or 1.0
    width, left, bar_h, gap = 860, 330, 18, 6
    y = 40
    parts: list[str] = []
    colors = {
        "data floor": "#6b7280",
        "graphql-core alone": "#9ca3af",
        "this service": "#2563eb",
        "naive Strawberry": "#dc2626",
        "Ariadne": "#d97706",
    }
    workload = None
    for r in rows:
        if r.workload != workload:
            workload = r.workload
            y += 10
            parts.append(f'<text x="8" y="{y + 12}" font-weight="bold">{_xml(workload)}</text>')
            y += bar_h + gap
        kind = r.variant.split(" (")[0]
        length = (width - left - 90) * (r.cpu_ms or 0) / top
        parts.append(f'<text x="16" y="{y + 13}">{_xml(r.variant)}</text>')
        parts.append(
            f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar_h}" '
            f'fill="{colors.get(kind, "#2563eb")}"/>'
        )
        parts.append(f'<text x="{left + length + 6:.1f}" y="{y + 13}">{r.cpu_ms:.1f} ms</text>')
        y += bar_h + gap
    height = y + 20
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">'
        f'<rect width="{width}" height="{height}" fill="white"/>'
        f'<text x="8" y="20" font-size="14">Server CPU-ms per request ({_xml(run.when)}; '
        f"shorter is better)</text>" + "".join(parts) + "</svg>\n"
    )


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def report(run: Run) -> str:
    args = run.args
    lines = [
        "# Benchmark: the list pages and postMessage against their floors and peers",
        "",
        "Written by `make bench` (`python -m bench.harness`, bench/harness.py): do not edit by "
        "hand; what the numbers mean and the profile behind them: "
        "[bench-findings.md](bench-findings.md).",
        "",
        f"Run of {run.when} (`--requests {args.requests} --concurrency {args.concurrency} "
        f"--cases {args.cases}`{', BENCH_QUICK' if QUICK else ''}):",
        "",
        *run.environment,
        "",
        "![server CPU-ms per request](bench-list-cases.svg)",
        "",
        "## Ratios (the targets of issue 10: queue page <= 1.5x its data floor, the 5-messages "
        "page <= 1.5x graphql-core alone, postMessage >= 0.6x the floor's requests/s)",
        "",
        *ratios(run),
        "",
        "## Every variant",
        "",
        "| workload | variant | server CPU-ms/req | SQL stmts/req | order calls/req | p50 ms "
        f"| p99 ms | req/s at {args.concurrency} clients | same data as the service |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in run.results:
        same = "-" if r.same_data is None else ("yes" if r.same_data else "NO")
        lines.append(
            f"| {r.workload} | {r.variant} | {_f(r.cpu_ms)} | {_f(r.statements)} "
            f"| {_f(r.order_calls)} | {_f(r.p50_ms)} | {_f(r.p99_ms)} | {_f(r.rps, 0)} "
            f"| {same} |"
        )
    lines += [
        "",
        "## Scale: the queue page with 1 and 2 API processes (`python -m app.production`, "
        "API_WORKERS)",
        "",
        f"| API processes | req/s at {args.concurrency} clients | vs 1 process |",
        "|---:|---:|---:|",
    ]
    one = run.scale[0][1] if run.scale else None
    for workers, rps in run.scale:
        lines.append(f"| {workers} | {rps:.0f} | {rps / one:.2f}x |" if one else "")
    lines += [
        "",
        "## How it is measured",
        "",
        "- One server process (`python -m bench._server`: the app from the composition root, "
        "uvicorn, uvloop + httptools, production settings on PostgreSQL and Redis) serves the "
        "service, the floors and the peers on the same runtime; server CPU-ms is its "
        "`time.process_time()` around the sequential requests divided by their number (a mean, "
        "garbage collection included); statements are counted on its engine.",
        "- graphql-core alone runs in a fresh process (bench/_core_alone.py): `execute_sync` of "
        "the same document "
        "over the service's response data (dicts, default resolvers), plus orjson of the "
        "result; its req/s is 1000 / CPU-ms (one core, no I/O).",
        "- The order simulator runs in a thread of the harness (its CPU is not the server's); "
        "the service reads orders through its Redis cache (warm: 0 order calls), the data "
        "floor calls the order system once per request (no cache).",
        "- Per variant: warm-up, N sequential requests (CPU, statements, order calls, "
        "p50/p99), then 2N requests from the concurrent clients (req/s). The naive build runs "
        "N/5 with 1 client (concurrent clients exhaust its pools: that is what DataLoaders "
        "prevent). Every response is checked (50 cases, orders not stale) and compared with the "
        "service's data.",
        "- The client, the simulator, PostgreSQL and Redis share the machine's CPUs with the "
        "server: req/s and wall-clock figures are lower bounds; CPU-ms are the server's own.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3 if QUICK else 150)
    parser.add_argument("--concurrency", type=int, default=2 if QUICK else 8)
    parser.add_argument("--cases", type=int, default=50 if QUICK else 60)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench-list-cases.md").write_text(report(result))
    (args.out / "bench-list-cases.svg").write_text(svg_chart(result))
    print("\n".join(ratios(result)))


if __name__ == "__main__":
    main()

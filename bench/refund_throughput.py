"""Benchmark "refund execution": approved refunds paid per second by N refund worker processes.

Each run, against one throwaway PostgreSQL database:
1. N worker processes start (`python -m app.worker`, settings from the environment as in
   production: PostgreSQL, PAYMENT_GATEWAY_URL) and idle-poll for jobs;
2. M approved refunds (each on its own case and order) and their outbox jobs are inserted in ONE
   transaction: its commit is t0;
3. t1 = when the last refund is SUCCEEDED (the database is polled every 20 ms).
Throughput = M / (t1 - t0). The payment gateway simulator (uvicorn, its own process, no latency
fault unless --gateway-latency-ms) is the counterpart; at the end its ledger must show exactly one
payout per refund (the run fails otherwise).

A worker's step is: claim (1 transaction) -> submit: APPROVED -> PROCESSING, case SLA paused
(1 transaction) -> POST /refunds to the gateway (no transaction open) -> record: SUCCEEDED, case
SLA resumed, job DONE (1 transaction, with the event log append).

    python -m bench.refund_throughput [--refunds 2000] [--runs 1x1,2x1,4x1,8x1,1x1@100,2x8@100]
        [--out docs/bench-refund-throughput.md]

A run is "<worker processes>x<loops per process>[@<gateway latency ms>]" (the latency is the
simulator's "latency" fault: every refund call waits that long before it is processed).

BENCH_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres): a throwaway
database is created next to it and dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy import func, insert, select, text

from adapters.sql import mappers
from adapters.sql.db import create_engine
from adapters.sql.refund_execution import job_values
from adapters.sql.tables import refunds, support_cases, users
from adapters.sql.tables_refund_execution import refund_jobs
from bench._machine import machine_and_python, postgres_version
from domain.cases import CaseCategory, CasePriority, CaseRules, SupportCase
from domain.money import Money
from domain.refund_jobs import RefundJob
from domain.refunds import Refund, RefundApproval, RefundReason, RefundStatus
from domain.users import Role, User
from tests.integration.refund_execution.support import gateway_server
from tests.toolbox.polling import poll_until
from tests.toolbox.processes import PROJECT_ROOT as ROOT
from tests.toolbox.processes import Spawned, spawn_process
from tests.toolbox.services import asyncpg_dsn, throwaway_database

PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
AMOUNT = 3000


@contextlib.contextmanager
def worker_processes(count: int, env: dict[str, str]) -> Iterator[list[Spawned]]:
    """`count` refund worker processes (`python -m app.worker`), stopped with SIGTERM at the end."""
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(
                spawn_process(
                    [sys.executable, "-m", "app.worker"],
                    name=f"refund worker {n + 1}",
                    wait=False,  # ready when it holds its database connection: workers_ready()
                    env=env,
                    stop_timeout=30,
                )
            )
            for n in range(count)
        ]


async def seed_customer(database_url: str) -> str:
    engine = create_engine(database_url)
    user = User(
        id=str(uuid.uuid4()),
        email=f"bench-{uuid.uuid4().hex[:8]}@example.com",
        name="Bench Customer",
        role=Role.CUSTOMER,
        password_hash="x",
        created_at=datetime.now(UTC),
        external_customer_id="cust-bench",
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(users).values(**mappers.user_values(user)))
    finally:
        await engine.dispose()
    return user.id


async def approve_in_one_transaction(database_url: str, customer_id: str, count: int) -> list[str]:
    """M cases, M APPROVED refunds and M PENDING jobs, committed together (t0 = the commit)."""
    now = datetime.now(UTC)
    cases, refund_rows, job_rows = [], [], []
    ids: list[str] = []
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            start = (
                await conn.execute(select(func.coalesce(func.max(support_cases.c.number), 0)))
            ).scalar_one()
            for i in range(count):
                case = SupportCase.open(
                    customer_id=customer_id,
                    subject=f"Bench refund {i}",
                    description="Benchmark",
                    category=CaseCategory.REFUND_REQUEST,
                    priority=CasePriority.NORMAL,
                    order_id=f"ord-bench-{uuid.uuid4().hex[:12]}",
                    now=now - timedelta(minutes=5),
                    rules=CaseRules(),
                )
                case.number = start + i + 1
                refund = Refund(
                    id=str(uuid.uuid4()),
                    case_id=case.id,
                    order_id=case.order_id or "",
                    customer_id=customer_id,
                    amount=Money(AMOUNT, "USD"),
                    reason=RefundReason.DAMAGED,
                    status=RefundStatus.APPROVED,
                    created_at=now,
                    updated_at=now,
                    requested_by_id=customer_id,
                    approval=RefundApproval.ADMIN,
                    decided_at=now,
                )
                job = RefundJob.first_attempt(
                    refund_id=refund.id,
                    payment_reference=f"pay_{case.order_id}",
                    amount=refund.amount,
                    now=now,
                )
                cases.append(mappers.case_values(case))
                refund_rows.append(mappers.refund_values(refund))
                job_rows.append(job_values(job))
                ids.append(refund.id)
            await conn.execute(insert(support_cases), cases)
            await conn.execute(insert(refunds), refund_rows)
            await conn.execute(insert(refund_jobs), job_rows)
            await conn.execute(
                text("UPDATE case_number_counter SET value = :v WHERE id = 1"),
                {"v": start + count},
            )
    finally:
        await engine.dispose()
    return ids


async def wait_until_paid(database_url: str, refund_ids: list[str], limit_seconds: float) -> float:
    """Seconds until every refund is SUCCEEDED (polling every 20 ms)."""
    started = time.perf_counter()
    conn = await asyncpg.connect(asyncpg_dsn(database_url), timeout=5)

    def unpaid() -> Awaitable[int]:
        return conn.fetchval(  # type: ignore[no-any-return]
            "SELECT count(*) FROM refunds WHERE id = ANY($1::text[]) AND status <> 'SUCCEEDED'",
            refund_ids,
        )

    try:
        await poll_until(
            unpaid, until=lambda left: left == 0, deadline=limit_seconds, interval=0.02
        )
        return time.perf_counter() - started
    finally:
        await conn.close()


async def workers_ready(database_url: str, expected: int, limit_seconds: float = 60) -> None:
    """Wait until `expected` worker processes hold database connections (they started)."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url), timeout=5)
    name = database_url.rpartition("/")[2]

    def connected() -> Awaitable[int]:
        return conn.fetchval(  # type: ignore[no-any-return]
            "SELECT count(DISTINCT client_port) FROM pg_stat_activity "
            "WHERE datname = $1 AND application_name = 'support-refunds'",
            name,
        )

    try:
        await poll_until(
            connected, until=lambda n: n >= expected, deadline=limit_seconds, interval=0.1
        )
    finally:
        await conn.close()


@dataclass
class Result:
    workers: int
    concurrency: int
    latency_ms: int
    refunds: int
    seconds: float
    gateway_requests: int
    payouts_ok: bool

    @property
    def per_second(self) -> float:
        return self.refunds / self.seconds


async def run_one(
    database_url: str,
    gateway_url: str,
    customer_id: str,
    *,
    workers: int,
    concurrency: int,
    latency_ms: int,
    refunds_count: int,
) -> Result:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "PAYMENT_GATEWAY_URL": gateway_url,
        "ORDER_SYSTEM_URL": "http://127.0.0.1:9",  # never called by the worker
        "REFUND_WORKER_CONCURRENCY": str(concurrency),
        "REFUND_WORKER_POLL_SECONDS": "0.02",
        "LOG_LEVEL": "WARNING",  # one INFO line per gateway call would be measured too
    }
    async with httpx.AsyncClient(timeout=30) as http:
        fault = {"mode": "latency", "latency_ms": latency_ms} if latency_ms else {"mode": "none"}
        (await http.post(f"{gateway_url}/_faults", json=fault)).raise_for_status()
        before = (await http.get(f"{gateway_url}/_ledger")).json()["requests_received"]
    with worker_processes(workers, env):
        # Each worker loop holds a connection while polling; wait for all of them.
        await asyncio.sleep(1.0)
        await workers_ready(database_url, workers)
        refund_ids = await approve_in_one_transaction(database_url, customer_id, refunds_count)
        seconds = await wait_until_paid(database_url, refund_ids, limit_seconds=600)
    async with httpx.AsyncClient(timeout=30) as http:
        ledger = (await http.get(f"{gateway_url}/_ledger")).json()
    by_key = Counter(p["idempotency_key"] for p in ledger["payouts"])
    payouts_ok = all(by_key[f"{refund_id}:1"] == 1 for refund_id in refund_ids)
    return Result(
        workers=workers,
        concurrency=concurrency,
        latency_ms=latency_ms,
        refunds=refunds_count,
        seconds=seconds,
        gateway_requests=ledger["requests_received"] - before,
        payouts_ok=payouts_ok,
    )


async def environment(database_url: str) -> list[str]:
    pg = await postgres_version(database_url)
    return [
        *machine_and_python(("sqlalchemy", "asyncpg", "httpx", "uvicorn", "starlette")),
        f"- PostgreSQL {pg} on the same machine (127.0.0.1); the payment gateway simulator "
        "(uvicorn, one process) on the same machine too",
        "- Load average before the run (1/5/15 min): "
        + " / ".join(f"{x:.2f}" for x in os.getloadavg())
        + " (anything above 0 is other work sharing the CPUs)",
    ]


def report(results: list[Result], env: list[str], args: argparse.Namespace, when: str) -> str:
    rows = [
        "| worker processes | loops per process | gateway latency | refunds | seconds "
        "| refunds paid / s | gateway requests | one payout per refund |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        rows.append(
            f"| {r.workers} | {r.concurrency} | {r.latency_ms} ms | {r.refunds} | {r.seconds:.2f} "
            f"| **{r.per_second:.0f}** | {r.gateway_requests} | {'yes' if r.payouts_ok else 'NO'} |"
        )
    return "\n".join(
        [
            "# Benchmark: refund execution throughput",
            "",
            "Approved refunds paid per second by N refund worker processes (`python -m app.worker`,"
            " PostgreSQL) through the payment gateway simulator over HTTP. Produced by "
            "`python -m bench.refund_throughput` (see its docstring for the method); numbers are "
            "from one run on the machine below, not a promise.",
            "",
            f"Run: {when}; `python -m bench.refund_throughput {' '.join(sys.argv[1:])}`.",
            "",
            *env,
            "",
            "Per refund, a worker makes three short transactions (claim with `FOR UPDATE SKIP "
            "LOCKED` and a lease; APPROVED -> PROCESSING with the case's SLA pause; the outcome "
            "with the SLA resume, the job DONE and the event-log append) and one HTTP call to the "
            "gateway outside any transaction. t0 is the commit of one transaction approving all M "
            "refunds (decisions + outbox jobs); t1 is when the last one is SUCCEEDED.",
            "",
            *rows,
            "",
            "Reading it: every process and the database share the same CPUs, so beyond the number "
            "of cores more workers mostly add contention; with a slow gateway (real PSPs answer in "
            "hundreds of ms) throughput is bound by latency x concurrency instead, which is what "
            "`REFUND_WORKER_CONCURRENCY` (loops per process) is for.",
            "",
        ]
    )


def parse_runs(spec: str) -> list[tuple[int, int, int]]:
    """ "2x8@100" -> (2 processes, 8 loops each, 100 ms gateway latency)."""
    runs = []
    for item in spec.split(","):
        shape, _, latency = item.strip().partition("@")
        workers, _, loops = shape.partition("x")
        runs.append((int(workers), int(loops or 1), int(latency or 0)))
    return runs


async def main_async(args: argparse.Namespace) -> tuple[list[Result], list[str]]:
    results: list[Result] = []
    async with throwaway_database("bench_refunds", server_url=PG_ADMIN_URL) as database_url:
        customer_id = await seed_customer(database_url)
        env = await environment(database_url)
        with gateway_server() as gateway:
            gateway_url = gateway.url
            for workers, concurrency, latency_ms in parse_runs(args.runs):
                result = await run_one(
                    database_url,
                    gateway_url,
                    customer_id,
                    workers=workers,
                    concurrency=concurrency,
                    latency_ms=latency_ms,
                    refunds_count=args.refunds,
                )
                print(
                    f"{workers} worker(s) x {concurrency} @ {latency_ms} ms: {result.refunds} "
                    f"refunds in {result.seconds:.2f} s = {result.per_second:.0f}/s "
                    f"(payouts ok: {result.payouts_ok})",
                    file=sys.stderr,
                )
                results.append(result)
    return results, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--refunds", type=int, default=2000)
    parser.add_argument("--runs", default="1x1,2x1,4x1,8x1,1x1@100,2x8@100")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    results, env = asyncio.run(main_async(args))
    text_report = report(results, env, args, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    if args.out:
        Path(args.out).write_text(text_report)
    print(text_report)
    if not all(r.payouts_ok for r in results):
        raise SystemExit("a refund was not paid exactly once")


if __name__ == "__main__":
    main()

"""Keyset paging at depth: `supportCases` page 1 against the page 1,000,000 rows deep, with the
PostgreSQL plans of both (`make bench-deep`; rewrites docs/bench-deep-pages.md).

A throwaway database gets ROWS generated cases (one INSERT ... SELECT generate_series, triggers
off: the search documents are not needed here), then the read store's `list_cases` (the very
statement `supportCases(first: 50, after:)` runs) is timed for page 1 and for the page after
the cursor of row ROWS - 50, newest first, unfiltered and filtered by status, and each
statement is EXPLAINed (ANALYZE, BUFFERS). A keyset page reads the index from the cursor on:
its cost does not grow with the depth (OFFSET would read and drop every row before it).

    python -m bench.deep_pages [--rows 1000000] [--repeat 50] [--out docs]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event

from adapters.cursors import encode_cursor
from app.main import build_runtime, seed
from bench._machine import machine_and_python, postgres_version
from bench._workloads import settings_from
from domain.cases import CaseStatus
from domain.queries import CaseFilter
from tests.toolbox.services import asyncpg_dsn, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)

GENERATE = """
INSERT INTO support_cases (id, number, subject, description, category, priority, status,
  customer_id, assignee_id, order_id, order_number, created_at, updated_at, due_at,
  first_response_due_at, resolution_due_at, paused_seconds, sla_pause_reasons, version)
SELECT 'gen-' || lpad(n::text, 8, '0'), 1000000 + n, 'Generated case ' || n, 'Generated.',
  'OTHER', 'NORMAL',
  (ARRAY['OPEN','IN_PROGRESS','WAITING_ON_CUSTOMER','RESOLVED','CLOSED'])[1 + n % 5],
  $1, NULL, NULL, NULL,
  timestamptz '2020-01-01' + n * interval '1 minute',
  timestamptz '2020-01-01' + n * interval '1 minute',
  timestamptz '2020-01-02' + n * interval '1 minute',
  timestamptz '2020-01-02' + n * interval '1 minute',
  timestamptz '2020-01-04' + n * interval '1 minute',
  0, '[]', 0
FROM generate_series(1, $2) AS n
"""


async def generate(dsn: str, customer_id: str, rows: int) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("SET session_replication_role = replica")
        await connection.execute(GENERATE, customer_id, rows)
        await connection.execute("SET session_replication_role = DEFAULT")
        await connection.execute("ANALYZE support_cases")
    finally:
        await connection.close()


async def explain(dsn: str, statement: str, parameters: Any) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, *parameters
        )
    finally:
        await connection.close()
    return "\n".join(row[0] for row in rows)


async def main_async(args: argparse.Namespace) -> str:
    async with throwaway_database("benchdeep", server_url=PG_ADMIN_URL) as database_url:
        settings = settings_from(
            {"DATABASE_URL": database_url, "SEED_DEMO_DATA": "false", "REDIS_URL": ""}
        )
        dsn = asyncpg_dsn(database_url)
        async with build_runtime(settings) as runtime:
            await seed(runtime)
            customer = next(
                u
                for u in await runtime.services.reads.staff_users()  # any user will do
            )
            started = time.perf_counter()
            await generate(dsn, customer.id, args.rows)
            generated_in = time.perf_counter() - started
            reads = runtime.services.reads
            captured: list[tuple[str, Any]] = []

            @event.listens_for(runtime.engine.sync_engine, "before_cursor_execute")
            def _capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
                captured.append((statement, parameters))

            connection = await asyncpg.connect(dsn)
            try:
                deep_rows = {
                    "every case": await connection.fetchrow(
                        "SELECT created_at, id FROM support_cases ORDER BY created_at DESC, id "
                        "DESC OFFSET $1 LIMIT 1",
                        args.rows - 51,
                    ),
                    "status OPEN": await connection.fetchrow(
                        "SELECT created_at, id FROM support_cases WHERE status = 'OPEN' "
                        "ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1",
                        args.rows // 5 - 51,
                    ),
                }
            finally:
                await connection.close()
            sections: list[str] = []
            rows_out: list[str] = []
            for name, case_filter in (
                ("every case", CaseFilter()),
                ("status OPEN", CaseFilter(statuses=(CaseStatus.OPEN,))),
            ):
                row = deep_rows[name]
                deep_cursor = encode_cursor("case", row["created_at"], row["id"])
                timings: dict[str, float] = {}
                plans: dict[str, str] = {}
                for label, after in (("page 1", None), ("deep page", deep_cursor)):
                    page = await reads.list_cases(case_filter, first=50, after=after)
                    assert len(page.items) == 50
                    captured.clear()
                    await reads.list_cases(case_filter, first=50, after=after)
                    statement, parameters = captured[-1]
                    plans[label] = await explain(dsn, statement, parameters)
                    samples = []
                    for _ in range(args.repeat):
                        t0 = time.perf_counter()
                        await reads.list_cases(case_filter, first=50, after=after)
                        samples.append((time.perf_counter() - t0) * 1000)
                    timings[label] = statistics.median(samples)
                ratio = timings["deep page"] / timings["page 1"]
                rows_out.append(
                    f"| {name} | {timings['page 1']:.2f} | {timings['deep page']:.2f} "
                    f"| {ratio:.2f}x |"
                )
                for label in ("page 1", "deep page"):
                    sections += [
                        f"### {name}, {label}",
                        "",
                        "```",
                        plans[label],
                        "```",
                        "",
                    ]
            pg = await postgres_version(database_url)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark: a keyset page 1,000,000 rows deep",
        "",
        "Written by `make bench-deep` (`python -m bench.deep_pages`): do not edit by hand.",
        "",
        f"Run of {when}: {args.rows:,} generated cases (generated in {generated_in:.0f} s), "
        f"median of {args.repeat} calls of the read store's `list_cases(first=50, after=)` "
        "(the statement of `supportCases(first: 50, after:)`), newest first.",
        "",
        *machine_and_python(("sqlalchemy", "asyncpg")),
        f"- PostgreSQL {pg} on the same machine",
        "",
        "| filter | page 1 ms | page at depth ms | deep / page 1 |",
        "|---|---:|---:|---:|",
        *rows_out,
        "",
        "The target of issue 10: <= 1.2x. The cursor holds (created_at, id); the statement asks "
        "for rows before it in the order of an index that starts with the sort key "
        "(`ix_support_cases_created_at_id`, `ix_support_cases_status_created_at` for a status "
        "filter), so PostgreSQL starts the index scan at the cursor and reads 51 entries, at any "
        "depth. The plans:",
        "",
        *sections,
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    report = asyncio.run(main_async(args))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench-deep-pages.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()

"""Benchmark "search cases" (issue 12): full-text case search at the read store, on PostgreSQL
(tsvector + GIN) and SQLite (FTS5), first page against a deep page.

Seeds `--cases` cases (each with `--messages` messages, one in five an internal note) through the
unit of work, so the database's triggers build the search documents as in production; that
seeding time per message is reported (the write cost of the triggers). Then, per database and
sort, for a customer's search (their own cases, public text) and a staff search (every case, notes
too), the median wall time and the SQL statements of: page 1, and page `--deep` (reached by
following the cursors); and, for scale, the 1.0 `search` (a subject LIKE).

    python -m bench.search_cases [--cases 5000] [--messages 3] [--deep 40] [--repeat 15]

PostgreSQL: BENCH_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres; a
throwaway database is created next to it and dropped at the end); SQLite: a temp file. Prints a
Markdown report (docs/bench-search.md keeps one).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.sql.db import count_statements, create_engine, create_session_factory
from adapters.sql.migrate import upgrade_to_head
from adapters.sql.read_store import SqlReadStore
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from bench._machine import machine_and_python, postgres_version
from domain.cases import CaseCategory, CasePriority, CaseRules, Message, SupportCase
from domain.queries import CaseFilter, CaseSort, search_words
from domain.users import Role, User
from tests.toolbox.services import create_postgres_database, drop_postgres_database

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WORDS = ("parcel", "broken", "lamp", "kettle", "headphones", "refund", "invoice", "late",
         "courier", "screen", "battery", "cable", "speaker", "charger", "warranty", "scratched",
         "missing", "wrong", "colour", "size", "return", "label", "driver")  # fmt: skip
PAGE = 20


def _user(role: Role, n: int) -> User:
    user_id = str(uuid.uuid4())
    return User(
        id=user_id,
        email=f"bench-{n}-{user_id[:6]}@example.com",
        name=f"Bench {n}",
        role=role,
        password_hash="x",
        created_at=T0,
        external_customer_id=f"cust-{user_id[:8]}" if role is Role.CUSTOMER else None,
    )


async def seed(uows: SqlUnitOfWorkFactory, cases: int, messages: int) -> tuple[User, float]:
    """`cases` cases of 50 customers (the first one is the searching customer); returns it and
    the seconds spent per stored message (case rows and triggers included)."""
    customers = [_user(Role.CUSTOMER, n) for n in range(50)]
    agent = _user(Role.AGENT, 999)
    async with uows() as uow:
        for user in [*customers, agent]:
            await uow.users.add(user)
        await uow.commit()
    rules = CaseRules()
    started = time.perf_counter()
    stored = 0
    for batch_start in range(0, cases, 100):
        async with uows() as uow:
            for i in range(batch_start, min(cases, batch_start + 100)):
                customer = customers[i % len(customers)]
                at = T0 + timedelta(minutes=i)
                words = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(3)]
                case = SupportCase.open(
                    customer_id=customer.id,
                    subject=f"{words[0]} {words[1]} problem {i}",
                    description=f"The {words[2]} is not right.",
                    category=CaseCategory.OTHER,
                    priority=list(CasePriority)[i % 4],
                    order_id=f"ord-{i}",
                    order_number=f"#{10000 + i}",
                    now=at,
                    rules=rules,
                )
                await uow.cases.add(case)
                for m in range(messages):
                    internal = (i + m) % 5 == 0
                    body = f"About the {WORDS[(i + m * 3) % len(WORDS)]}, message {m}."
                    if internal:
                        body = f"Note: supplier batch {WORDS[(i + m) % len(WORDS)]}zz."
                    await uow.messages.add(
                        Message(
                            id=str(uuid.uuid4()),
                            case_id=case.id,
                            author_id=agent.id if internal else customer.id,
                            body=body,
                            internal=internal,
                            created_at=at + timedelta(seconds=m + 1),
                        )
                    )
                    stored += 1
            await uow.commit()
    return customers[0], (time.perf_counter() - started) / max(1, cases + stored)


async def timed(store: SqlReadStore, engine: object, f: CaseFilter, sort: CaseSort,
                after: str | None, repeat: int) -> tuple[float, int, int]:  # fmt: skip
    """Median ms, statements and rows of one list_cases call."""
    times: list[float] = []
    statements = rows = 0
    for _ in range(repeat):
        with count_statements(engine) as counter:  # type: ignore[arg-type]
            started = time.perf_counter()
            page = await store.list_cases(f, first=PAGE, after=after, sort=sort)
            times.append((time.perf_counter() - started) * 1000)
        statements, rows = counter.count, len(page.items)
    return statistics.median(times), statements, rows


async def run_backend(name: str, url: str, args: argparse.Namespace) -> list[str]:
    await upgrade_to_head(url)
    engine = create_engine(url)
    try:
        sessions = create_session_factory(engine)
        uows = SqlUnitOfWorkFactory(sessions)
        store = SqlReadStore(sessions)
        customer, per_row = await seed(uows, args.cases, args.messages)
        lines = [
            f"| {name} | seeding: {per_row * 1000:.2f} ms per stored row (case or message, "
            "triggers included) | | | | |"
        ]
        searches = {
            "customer, text `parcel`": CaseFilter(
                customer_id=customer.id, words=search_words("parcel")
            ),
            "staff, text `parcel`": CaseFilter(words=search_words("parcel"), words_in_notes=True),
            "staff, text `cable problem`": CaseFilter(
                words=search_words("cable problem"), words_in_notes=True
            ),
            "staff, 1.0 `search` (subject LIKE) `parcel`": CaseFilter(search="parcel"),
        }
        for label, f in searches.items():
            for sort in (CaseSort.NEWEST, CaseSort.DUE_SOONEST):
                first_ms, first_stmts, _ = await timed(store, engine, f, sort, None, args.repeat)
                after: str | None = None
                pages = 0
                for _ in range(args.deep - 1):
                    page = await store.list_cases(f, first=PAGE, after=after, sort=sort)
                    if not page.has_next_page:
                        break
                    after, pages = page.end_cursor, pages + 1
                deep_ms, deep_stmts, deep_rows = await timed(
                    store, engine, f, sort, after, args.repeat
                )
                total = await store.count_cases(f)
                lines.append(
                    f"| {name} | {label} ({total} matches) | {sort.value} | "
                    f"{first_ms:.2f} ms, {first_stmts} stmt | "
                    f"page {pages + 1}: {deep_ms:.2f} ms, {deep_stmts} stmt, {deep_rows} rows | "
                    f"{deep_ms / first_ms:.2f} |"
                )
        return lines
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--deep", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    server = os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    report = [
        "Run of "
        + datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        + f" (`python -m bench.search_cases --cases {args.cases} --messages {args.messages} "
        f"--deep {args.deep} --repeat {args.repeat}`), page size {PAGE}:",
        "",
        *machine_and_python(["sqlalchemy", "asyncpg", "aiosqlite"]),
        f"- PostgreSQL {await postgres_version(server)}; SQLite (FTS5) from Python's sqlite3",
        f"- Load average before the run: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}",
        "",
        "| database | search | sort | first page | deep page | deep / first |",
        "|---|---|---|---:|---:|---:|",
    ]
    url = await create_postgres_database("benchsearch", server_url=server)
    try:
        report += await run_backend("PostgreSQL", url, args)
    finally:
        await drop_postgres_database(url)
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        report += await run_backend("SQLite", sqlite_url, args)
    print("\n".join(report))


if __name__ == "__main__":
    asyncio.run(main())

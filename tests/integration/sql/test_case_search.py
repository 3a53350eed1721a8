"""Case search and filters (domain.queries.ReadStore.list_cases): one contract suite, run against
SQLite (FTS5), PostgreSQL (tsvector + GIN) and the in-process read store; plus what only the
databases have: the triggers that keep `case_search` (migration 0006), and keyset plans."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.memory import InMemoryReadStore, InMemoryStore, InMemoryUnitOfWorkFactory
from adapters.sql import mappers
from adapters.sql.db import count_statements, create_engine, create_session_factory
from adapters.sql.migrate import alembic_config, upgrade_to_head
from adapters.sql.read_store import SqlReadStore
from adapters.sql.tables import messages as messages_table
from adapters.sql.tables import support_cases, users
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.cases import CaseCategory, CasePriority, Message, SupportCase
from domain.errors import ValidationFailed
from domain.ports import UnitOfWork
from domain.queries import (
    CaseFilter,
    CaseSort,
    ReadStore,
    order_references,
    search_words,
)
from domain.users import Role, User

from .builders import T0, make_case, make_message, make_user, uid
from .conftest import DatabaseFactory

UowFactory = Callable[[], UnitOfWork]


@dataclass
class Stores:
    uows: UowFactory
    reads: ReadStore


@pytest.fixture(params=["sql", "memory"])
def stores(
    request: pytest.FixtureRequest, uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> Stores:
    if request.param == "sql":
        return Stores(uow_factory, read_store)
    memory = InMemoryStore()
    return Stores(InMemoryUnitOfWorkFactory(memory), InMemoryReadStore(memory))


def word(prefix: str = "w") -> str:
    """A word no other test writes (letters and digits only)."""
    return f"{prefix}{uid().replace('-', '')[:10]}"


async def store(
    uows: UowFactory,
    users: list[User] = (),  # type: ignore[assignment]
    cases: list[SupportCase] = (),  # type: ignore[assignment]
    messages: list[Message] = (),  # type: ignore[assignment]
) -> None:
    async with uows() as uow:
        for user in users:
            await uow.users.add(user)
        for case in cases:
            await uow.cases.add(case)
        for message in messages:
            await uow.messages.add(message)
        await uow.commit()


async def ids(
    reads: ReadStore, case_filter: CaseFilter, sort: CaseSort = CaseSort.NEWEST
) -> list[str]:
    """Every matching case id, walking the pages (two per page: cursors get used)."""
    found: list[str] = []
    after: str | None = None
    while True:
        page = await reads.list_cases(case_filter, first=2, after=after, sort=sort)
        found += [c.id for c in page.items]
        if not page.has_next_page:
            assert await reads.count_cases(case_filter) == len(found)
            return found
        after = page.end_cursor


def customer_search(customer: User, typed: str) -> CaseFilter:
    return CaseFilter(customer_id=customer.id, words=search_words(typed), words_in_notes=False)


def staff_search(typed: str, **kwargs: Any) -> CaseFilter:
    return CaseFilter(words=search_words(typed), words_in_notes=True, **kwargs)


async def test_search_finds_words_of_messages_order_numbers_and_case_numbers(
    stores: Stores,
) -> None:
    alice, bob, agent = make_user(), make_user(), make_user(Role.AGENT)
    public, note, order_word = word("pub"), word("note"), word("ord")
    order_number = f"#{uid()[:6].upper()}{order_word}"
    alices = make_case(alice, subject="Headphones crackle", order_id=f"o-{uid()}",
                       order_number=order_number)  # fmt: skip
    alices_other = make_case(alice, subject="Invoice needed")
    bobs = make_case(bob, subject="Television")
    await store(stores.uows, [alice, bob, agent], [alices, alices_other, bobs])
    await store(
        stores.uows,
        messages=[
            make_message(alices, alice, body=f"The {public} arrived broken, photos attached."),
            make_message(alices, agent, internal=True, body=f"{note}: photos look staged"),
            make_message(bobs, bob, body=f"Mine too: {public}!"),
        ],
    )
    reads = stores.reads

    # A word of a public message: the customer finds their case, never another customer's.
    assert await ids(reads, customer_search(alice, public)) == [alices.id]
    assert await ids(reads, customer_search(bob, public.upper())) == [bobs.id]
    # Staff find every customer's.
    assert set(await ids(reads, staff_search(public))) == {alices.id, bobs.id}
    # A word only an internal note has: staff match it, the customer never does.
    assert await ids(reads, staff_search(note)) == [alices.id]
    assert await ids(reads, customer_search(alice, note)) == []
    assert await ids(reads, CaseFilter(customer_id=alice.id, words=(note,))) == []
    # Words are prefixes, every word must match (AND), punctuation separates words.
    assert await ids(reads, customer_search(alice, f"{public[:6]} broken")) == [alices.id]
    assert await ids(reads, customer_search(alice, f"{public} television")) == []
    assert await ids(reads, customer_search(alice, "headphones, CRACKLE!")) == [alices.id]
    # The order number (as the shop writes it, or without '#') and the case number.
    assert await ids(reads, customer_search(alice, order_number)) == [alices.id]
    assert await ids(reads, staff_search(order_number.lstrip("#"))) == [alices.id]
    assert bobs.number is not None
    assert await ids(reads, staff_search(f"CS-{bobs.number:06d}")) == [bobs.id]
    assert await ids(reads, customer_search(alice, f"CS-{bobs.number:06d}")) == []
    # The subject and description count too; nothing like it: nothing.
    assert set(await ids(reads, customer_search(alice, "crushed mug"))) == {
        alices.id,
        alices_other.id,
    }
    assert await ids(reads, staff_search(word("nothing"))) == []


async def test_words_split_at_punctuation_on_every_store(stores: Stores) -> None:
    """Codes, emails and paths in a message: each part is a word (PostgreSQL's parser would
    keep `ZX-553` as `zx` and `-553`, an email or a path as one token: migration 0009)."""
    customer = make_user()
    case = make_case(customer)
    digits, local, folder = str(uuid.uuid4().int)[:9], word("mail"), word("dir")
    body = f"Ticket ZX-{digits}; write to {local}@example.com, see {folder}/file.txt v1.2.3"
    await store(stores.uows, [customer], [case], [make_message(case, customer, body=body)])
    for typed in (digits, f"zx {digits}", local, f"{local}@example.com", folder, "file txt"):
        assert await ids(stores.reads, customer_search(customer, typed)) == [case.id], typed


async def test_filters_combine_with_the_search(stores: Stores) -> None:
    alice, bob = make_user(), make_user()
    shared = word("kettle")
    order_id, order_number = f"ord-{uid()}", f"#{uid()[:8]}"
    early = make_case(alice, subject=f"{shared} early", now=T0,
                      category=CaseCategory.BILLING)  # fmt: skip
    late = make_case(alice, subject=f"{shared} late", now=T0 + timedelta(hours=5),
                     order_id=order_id, order_number=order_number)  # fmt: skip
    bobs = make_case(bob, subject=f"{shared} bob", now=T0 + timedelta(hours=2))
    await store(stores.uows, [alice, bob], [early, late, bobs])
    late.updated_at = T0 + timedelta(days=3)
    async with stores.uows() as uow:
        await uow.cases.save(late)
        await uow.commit()
    reads = stores.reads

    assert set(await ids(reads, staff_search(shared))) == {early.id, late.id, bobs.id}
    by_email = staff_search(shared, customer_email=bob.email.casefold())
    assert await ids(reads, by_email) == [bobs.id]
    by_category = staff_search(shared, categories=(CaseCategory.BILLING,))
    assert await ids(reads, by_category) == [early.id]
    for typed in (order_id, order_number, order_number.lstrip("#"), f"  {order_number} "):
        assert await ids(reads, staff_search(shared, order_refs=order_references(typed))) == [
            late.id
        ], typed
    after_one_hour = staff_search(shared, created_after=T0 + timedelta(hours=1))
    assert await ids(reads, after_one_hour) == [late.id, bobs.id]
    before_two_hours = staff_search(shared, created_before=T0 + timedelta(hours=2))
    assert await ids(reads, before_two_hours) == [early.id]  # before: exclusive
    changed_later = staff_search(shared, updated_after=T0 + timedelta(days=1))
    assert await ids(reads, changed_later) == [late.id]
    unchanged = staff_search(shared, updated_before=T0 + timedelta(days=1))
    assert set(await ids(reads, unchanged)) == {early.id, bobs.id}


async def test_every_sort_pages_on_its_own_key(stores: Stores) -> None:
    customer = make_user()
    # Created at different times with different priorities, so that "due soonest" (URGENT is
    # due within the hour) is another order than "oldest"; pairs share a time (id breaks ties).
    priorities = [CasePriority.LOW, CasePriority.URGENT, CasePriority.NORMAL, CasePriority.HIGH]
    cases = [
        make_case(customer, now=T0 + timedelta(minutes=10 * (i // 2)), priority=priorities[i % 4])
        for i in range(9)
    ]
    await store(stores.uows, [customer], cases)
    mine = CaseFilter(customer_id=customer.id)
    reads = stores.reads

    newest = sorted(cases, key=lambda c: (c.created_at, c.id), reverse=True)
    oldest = sorted(cases, key=lambda c: (c.created_at, c.id))
    due = sorted(cases, key=lambda c: (c.due_at, c.id))
    assert due != oldest
    assert await ids(reads, mine) == [c.id for c in newest]
    assert await ids(reads, mine, CaseSort.NEWEST) == [c.id for c in newest]
    assert await ids(reads, mine, CaseSort.OLDEST) == [c.id for c in oldest]
    assert await ids(reads, mine, CaseSort.DUE_SOONEST) == [c.id for c in due]

    # A cursor belongs to its sort.
    page = await reads.list_cases(mine, first=2, after=None, sort=CaseSort.OLDEST)
    for other in (CaseSort.NEWEST, CaseSort.DUE_SOONEST):
        with pytest.raises(ValidationFailed):
            await reads.list_cases(mine, first=2, after=page.end_cursor, sort=other)


# -- what only the databases have ------------------------------------------------------------


async def test_search_triggers_exist_at_head(engine: AsyncEngine, backend: str) -> None:
    """Migration 0006 created the triggers that keep case_search, and no later migration (e.g. a
    SQLite batch rebuild of support_cases or messages, which drops triggers) lost them."""
    async with engine.connect() as conn:
        if backend == "sqlite":
            rows = await conn.execute(
                text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
            )
            expected = {
                ("case_search_case_insert", "support_cases"),
                ("case_search_case_update", "support_cases"),
                ("case_search_case_delete", "support_cases"),
                ("case_search_message_insert", "messages"),
                ("case_search_message_update", "messages"),
                ("case_search_message_delete", "messages"),
            }
        else:
            rows = await conn.execute(
                text(
                    "SELECT tgname, tgrelid::regclass::text FROM pg_trigger "
                    "WHERE NOT tgisinternal AND tgenabled <> 'D'"
                )
            )
            expected = {
                ("case_search_case_insert", "support_cases"),
                ("case_search_case_update", "support_cases"),
                ("case_search_message", "messages"),
            }
        found = {(str(name), str(table)) for name, table in rows}
    assert expected <= found, f"missing: {expected - found}"


async def test_the_database_keeps_the_documents_when_messages_change(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore, engine: AsyncEngine
) -> None:
    """Edited, moved or deleted rows (no write path does that today; a script or a later
    feature might): the triggers follow every change, whoever makes it."""
    customer = make_user()
    case = make_case(customer)
    first, second = word("first"), word("second")
    message = make_message(case, customer, body=f"about {first}")
    await store(uow_factory, [customer], [case], [message])
    search = lambda typed: customer_search(customer, typed)  # noqa: E731

    assert await ids(read_store, search(first)) == [case.id]
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE messages SET body = :body WHERE id = :id"),
            {"body": f"about {second}", "id": message.id},
        )
    assert await ids(read_store, search(first)) == []
    assert await ids(read_store, search(second)) == [case.id]
    async with engine.begin() as conn:  # made internal: out of the customer's document
        await conn.execute(
            text("UPDATE messages SET internal = :yes WHERE id = :id"),
            {"yes": True, "id": message.id},
        )
    assert await ids(read_store, search(second)) == []
    assert await ids(read_store, staff_search(second)) == [case.id]
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM messages WHERE id = :id"), {"id": message.id})
    assert await ids(read_store, staff_search(second)) == []
    # A subject change reaches the document; a save that changes no searched text keeps it.
    renamed = word("renamed")
    case.subject = f"Now about {renamed}"
    async with uow_factory() as uow:
        await uow.cases.save(case)
        await uow.commit()
    assert await ids(read_store, search(renamed)) == [case.id]


async def test_messages_committed_at_once_both_reach_the_document(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    """Two transactions add a message to one case at the same time: each trigger rebuilds the
    document, and the second waits for the first (a row lock on the case), so neither word is
    lost and nothing deadlocks."""
    customer, agent = make_user(), make_user(Role.AGENT)
    case = make_case(customer)
    await store(uow_factory, [customer, agent], [case])
    words = [word("race") for _ in range(6)]
    await asyncio.gather(
        *(
            store(uow_factory, messages=[make_message(case, customer, body=f"about {w}")])
            for w in words
        )
    )
    for w in words:
        assert await ids(read_store, customer_search(customer, w)) == [case.id], w


@contextmanager
def captured(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """The statements (with parameters) the engine sends in the block."""
    seen: list[tuple[str, Any]] = []

    def before(_c: Any, _cur: Any, statement: str, parameters: Any, _x: Any, _m: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # not BEGIN / COMMIT
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


def _plan_rows(plan: Any) -> int:
    """The rows every node of a PostgreSQL EXPLAIN ANALYZE plan produced, summed."""
    rows = int(plan.get("Actual Rows", 0)) * int(plan.get("Actual Loops", 1))
    return rows + sum(_plan_rows(child) for child in plan.get("Plans", ()))


async def test_a_deep_search_page_costs_what_the_first_does(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore, engine: AsyncEngine, backend: str
) -> None:
    """Keyset pagination under a search: every page is ONE statement without OFFSET, that
    fetches at most `first` + 1 rows; the plan of the last page reads no more than the first's
    (PostgreSQL: rows through every plan node; SQLite: the same plan, using the index)."""
    customer = make_user()
    shared = word("deep")
    cases = [
        make_case(customer, subject=f"{shared} {i}", now=T0 + timedelta(minutes=i))
        for i in range(60)
    ]
    await store(uow_factory, [customer], cases)
    search = customer_search(customer, shared)

    statements: list[tuple[str, Any]] = []
    after: str | None = None
    pages = 0
    while True:
        with count_statements(engine) as counter, captured(engine) as seen:
            page = await read_store.list_cases(search, first=5, after=after)
        assert counter.count == 1
        assert len(page.items) == 5
        statements += seen
        pages += 1
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert pages == 12
    first_sql, first_params = statements[0]
    deep_sql, deep_params = statements[-1]
    # No OFFSET (SQLAlchemy writes SQLite's LIMIT as `LIMIT ? OFFSET ?` with an offset of 0).
    if "OFFSET" in deep_sql.upper():
        assert deep_sql.rstrip().endswith("OFFSET ?") and deep_params[-1] == 0, deep_sql
    assert "case_search" in deep_sql

    async with engine.connect() as conn:
        if backend == "postgresql":
            costs = []
            for sql, params in ((first_sql, first_params), (deep_sql, deep_params)):
                result = await conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                plan = result.scalar_one()
                plan = json.loads(plan) if isinstance(plan, str) else plan
                costs.append(_plan_rows(plan[0]["Plan"]))
            first_cost, deep_cost = costs
            assert deep_cost <= first_cost, (first_cost, deep_cost)
        else:
            plans = []
            for sql, params in ((first_sql, first_params), (deep_sql, deep_params)):
                result = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
                plans.append(" | ".join(str(row[-1]) for row in result))
            first_plan, deep_plan = plans
            # The same plan; the deep page only adds the keyset bound to the index search.
            assert "(created_at,id)<(?,?)" in deep_plan, deep_plan
            assert deep_plan.replace(" AND (created_at,id)<(?,?)", "") == first_plan
            assert "VIRTUAL TABLE" in deep_plan and "case_search" in deep_plan, deep_plan
            assert "SCAN support_cases" not in deep_plan.replace("USING INDEX", ""), deep_plan
            assert "USING INDEX" in deep_plan, deep_plan


async def test_cases_stored_before_the_search_migration_are_found(
    database_factory: DatabaseFactory,
) -> None:
    """A database with cases and messages from before migration 0006: the upgrade builds their
    documents and fills due_at, so they are found and sorted like new ones."""
    url = await database_factory()
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0005")
    customer = make_user()
    case = make_case(customer, subject="Old kettle case")
    case.number = 7
    public, note = word("old"), word("oldnote")
    messages = [
        make_message(case, customer, body=f"about the {public}"),
        make_message(case, customer, body=f"{note} only for staff", internal=True),
    ]
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(users).values(**mappers.user_values(customer)))
            old_columns = {
                k: v
                for k, v in mappers.case_values(case).items()
                if k not in ("order_number", "due_at")
            }
            await conn.execute(insert(support_cases).values(**old_columns))
            for message in messages:
                await conn.execute(insert(messages_table).values(**mappers.message_values(message)))
        await upgrade_to_head(url)
        reads = SqlReadStore(create_session_factory(engine))
        assert await ids(reads, customer_search(customer, public)) == [case.id]
        assert await ids(reads, customer_search(customer, note)) == []
        assert await ids(reads, staff_search(note)) == [case.id]
        assert await ids(reads, customer_search(customer, "cs-000007")) == [case.id]
        stored = await reads.get_case(case.id)
        assert stored is not None and stored.due_at == case.due_at
        due = await reads.list_cases(
            CaseFilter(customer_id=customer.id), first=5, after=None, sort=CaseSort.DUE_SOONEST
        )
        assert [c.id for c in due.items] == [case.id]
    finally:
        await engine.dispose()

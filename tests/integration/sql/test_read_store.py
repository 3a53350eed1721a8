"""SqlReadStore: keyset pagination, filters, cursors, page sizes, and ONE statement per call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.cursors import encode_cursor
from adapters.sql.db import count_statements
from adapters.sql.read_store import SqlReadStore
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.cases import CasePriority, CaseStatus, Message, SupportCase
from domain.errors import ValidationFailed
from domain.queries import (
    CaseFilter,
    EventPageRequest,
    MessagePageRequest,
    RefundFilter,
    RefundPageRequest,
)
from domain.refunds import Refund, RefundStatus
from domain.sla import is_overdue
from domain.users import Role, User
from tests.overdue_cases import EXPECTED, overdue_scenarios

from .builders import T0, make_case, make_message, make_refund, make_user, uid


async def _users(uow_factory: SqlUnitOfWorkFactory, *users: User) -> None:
    async with uow_factory() as uow:
        for user in users:
            await uow.users.add(user)
        await uow.commit()


async def _cases(uow_factory: SqlUnitOfWorkFactory, *cases: SupportCase) -> None:
    async with uow_factory() as uow:
        for case in cases:
            await uow.cases.add(case)
        await uow.commit()


def _minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


async def _walk(read_store: SqlReadStore, case_filter: CaseFilter, first: int) -> list[str]:
    ids: list[str] = []
    after: str | None = None
    while True:
        page = await read_store.list_cases(case_filter, first=first, after=after)
        ids += [c.id for c in page.items]
        if not page.has_next_page:
            return ids
        after = page.end_cursor


async def test_keyset_pagination_survives_inserts_between_pages(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    customer = make_user()
    await _users(uow_factory, customer)
    # 23 cases; groups of three share a timestamp, so the id breaks ties.
    cases = [make_case(customer, now=_minutes(i // 3)) for i in range(23)]
    await _cases(uow_factory, *cases)
    expected = [c.id for c in sorted(cases, key=lambda c: (c.created_at, c.id), reverse=True)]
    only_mine = CaseFilter(customer_id=customer.id)

    seen: list[str] = []
    after: str | None = None
    inserted_newer: list[str] = []
    inserted_older: list[str] = []
    pages = 0
    while True:
        page = await read_store.list_cases(only_mine, first=5, after=after)
        assert len(page.cursors) == len(page.items)
        seen += [c.id for c in page.items]
        pages += 1
        if not page.has_next_page:
            break
        after = page.end_cursor
        # New rows between pages: newer ones (above the cursor) must not show up later, and
        # nothing already seen may come back; older ones are simply found further down.
        newer = make_case(customer, now=_minutes(100 + pages))
        older = make_case(customer, now=_minutes(-100 - pages))
        await _cases(uow_factory, newer, older)
        inserted_newer.append(newer.id)
        inserted_older.append(older.id)

    assert pages == 6  # 23 originals + the 5 older ones inserted on the way, five per page
    assert len(seen) == len(set(seen)), "a case was listed twice"
    assert not set(inserted_newer) & set(seen)
    assert seen == expected + inserted_older  # every original, in order, no gaps
    created = {c.id: (c.created_at, c.id) for c in cases}
    assert [created[i] for i in seen[: len(expected)]] == sorted(created.values(), reverse=True)


async def test_case_filters_and_search(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    customer, agent = make_user(), make_user(Role.AGENT)
    await _users(uow_factory, customer, agent)
    open_low = make_case(customer, subject="Mug 100% broken", priority=CasePriority.LOW)
    assigned_high = make_case(customer, subject="Where is my_parcel?", priority=CasePriority.HIGH)
    resolved = make_case(customer, subject="Invoice needed")
    await _cases(uow_factory, open_low, assigned_high, resolved)
    assigned_high.assignee_id = agent.id
    resolved.status = CaseStatus.RESOLVED
    async with uow_factory() as uow:
        await uow.cases.save(assigned_high)
        await uow.cases.save(resolved)
        await uow.commit()

    async def ids(**kwargs: Any) -> set[str]:
        page = await read_store.list_cases(
            CaseFilter(customer_id=customer.id, **kwargs), first=100, after=None
        )
        return {c.id for c in page.items}

    assert await ids() == {open_low.id, assigned_high.id, resolved.id}
    assert await ids(statuses=(CaseStatus.RESOLVED,)) == {resolved.id}
    assert await ids(statuses=(CaseStatus.OPEN, CaseStatus.RESOLVED)) == {
        open_low.id,
        assigned_high.id,
        resolved.id,
    }
    assert await ids(priorities=(CasePriority.LOW, CasePriority.HIGH)) == {
        open_low.id,
        assigned_high.id,
    }
    assert await ids(assignee_id=agent.id) == {assigned_high.id}
    assert await ids(unassigned=True) == {open_low.id, resolved.id}
    # Search: case-insensitive substring; % and _ are literal characters, not wildcards.
    assert await ids(search="  MUG ") == {open_low.id}
    assert await ids(search="100%") == {open_low.id}
    assert await ids(search="%") == {open_low.id}
    assert await ids(search="y_p") == {assigned_high.id}
    assert await ids(search="_") == {assigned_high.id}
    assert await ids(search="nothing like this") == set()
    # ...or the case number, written as CS-000042, cs-42 or 42.
    assert resolved.number is not None
    assert await ids(search=f"CS-{resolved.number:06d}") == {resolved.id}
    assert await ids(search=f"cs-{resolved.number}") == {resolved.id}
    assert await ids(search=str(resolved.number)) == {resolved.id}
    # Another customer's filter sees none of these.
    other = await read_store.list_cases(CaseFilter(customer_id=uid()), first=10, after=None)
    assert other.items == [] and not other.has_next_page and other.end_cursor is None


@pytest.mark.parametrize("first", [0, -1, 101, 10**9])
async def test_page_size_outside_1_to_100_is_refused(read_store: SqlReadStore, first: int) -> None:
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: read_store.list_cases(CaseFilter(), first=first, after=None),
        lambda: read_store.list_messages(uid(), include_internal=True, first=first, after=None),
        lambda: read_store.list_events(uid(), include_internal=True, first=first, after=None),
        lambda: read_store.list_refunds(RefundFilter(), first=first, after=None),
    ]
    for call in calls:
        with pytest.raises(ValidationFailed) as info:
            await call()
        assert [f.field for f in info.value.fields] == ["first"]


async def test_page_size_bounds_are_accepted(read_store: SqlReadStore) -> None:
    for first in (1, 100):
        page = await read_store.list_cases(CaseFilter(customer_id=uid()), first=first, after=None)
        assert page.items == []


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64 !!",
        "bm90IGpzb24",  # "not json"
        "WyJjYXNlIl0",  # ["case"]
        "WyJjYXNlIiwibm90IGEgZGF0ZSIsIngiXQ",  # ["case","not a date","x"]
        "WyJjYXNlIiwiMjAzMC0wMS0wMVQwMDowMDowMCIsIngiXQ",  # naive timestamp
        "A" * 600,
    ],
)
async def test_invalid_cursor_is_refused(read_store: SqlReadStore, cursor: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        await read_store.list_cases(CaseFilter(), first=10, after=cursor)
    assert [f.field for f in info.value.fields] == ["after"]


async def test_cursor_of_another_list_is_refused(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    customer = make_user()
    await _users(uow_factory, customer)
    case = make_case(customer)
    await _cases(uow_factory, case)
    page = await read_store.list_cases(CaseFilter(customer_id=customer.id), first=1, after=None)
    case_cursor = page.cursors[0]
    with pytest.raises(ValidationFailed):
        await read_store.list_messages(case.id, include_internal=True, first=5, after=case_cursor)
    with pytest.raises(ValidationFailed):
        await read_store.list_refunds(RefundFilter(), first=5, after=case_cursor)
    with pytest.raises(ValidationFailed):
        await read_store.list_events(case.id, include_internal=True, first=5, after=case_cursor)
    for bad in ("-1", "1.5", "abc", "9" * 40):
        with pytest.raises(ValidationFailed):
            await read_store.list_events(case.id, include_internal=True, first=5, after=bad)


async def test_messages_pagination_and_last_messages(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    customer, agent = make_user(), make_user(Role.AGENT)
    await _users(uow_factory, customer, agent)
    first_case, second_case, silent_case = (
        make_case(customer),
        make_case(customer),
        make_case(customer),
    )
    msgs = [
        make_message(first_case, customer, now=_minutes(1), body="first public"),
        make_message(first_case, agent, now=_minutes(2), body="newest public"),
        make_message(first_case, agent, now=_minutes(3), internal=True, body="newest internal"),
        make_message(second_case, customer, now=_minutes(1), body="only one"),
    ]
    async with uow_factory() as uow:
        for case in (first_case, second_case, silent_case):
            await uow.cases.add(case)
        for message in msgs:
            await uow.messages.add(message)
        await uow.commit()

    public = await read_store.last_messages(
        [first_case.id, second_case.id, silent_case.id, first_case.id], include_internal=False
    )
    assert {k: v.body for k, v in public.items()} == {
        first_case.id: "newest public",
        second_case.id: "only one",
    }
    staff = await read_store.last_messages([first_case.id], include_internal=True)
    assert staff[first_case.id].body == "newest internal"
    assert await read_store.last_messages([], include_internal=True) == {}

    async def walk(include_internal: bool) -> list[Message]:
        items: list[Message] = []
        after: str | None = None
        while True:
            page = await read_store.list_messages(
                first_case.id, include_internal=include_internal, first=1, after=after
            )
            items += page.items
            if not page.has_next_page:
                return items
            after = page.end_cursor

    assert [m.body for m in await walk(True)] == [
        "first public",
        "newest public",
        "newest internal",
    ]
    assert [m.body for m in await walk(False)] == ["first public", "newest public"]
    assert await read_store.messages_by_ids([msgs[0].id, uid()]) == {msgs[0].id: msgs[0]}
    assert await read_store.get_message(uid()) is None


async def test_timeline_pages_by_sequence(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    customer, agent = make_user(), make_user(Role.AGENT)
    await _users(uow_factory, customer, agent)
    case = make_case(customer)
    await _cases(uow_factory, case)
    for i in range(4):
        case.assign(
            agent.id if i % 2 == 0 else None,
            assignee_name="Agent",
            actor=_staff(agent),
            now=_minutes(i),
        )
        async with uow_factory() as uow:
            await uow.cases.save(case)
            await uow.commit()

    seen = []
    after: str | None = None
    while True:
        page = await read_store.list_events(case.id, include_internal=False, first=2, after=after)
        seen += page.items
        assert page.cursors == [str(e.sequence) for e in page.items]
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert len(seen) == 5  # opened + 4 assignments
    sequences = [e.sequence or 0 for e in seen]
    assert sequences == sorted(sequences) and len(set(sequences)) == 5
    assert await read_store.get_event(seen[2].id) == seen[2]
    assert await read_store.get_event(uid()) is None
    replay = await read_store.events_after(
        seen[1].sequence or 0, case_id=case.id, include_internal=False
    )
    assert replay == seen[2:]


def _staff(user: User) -> Any:
    from domain.users import Principal

    return Principal(user.id, user.role, session_id=uid())


async def test_users_and_staff(uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore) -> None:
    customer = make_user()
    agent = make_user(Role.AGENT, name="Aaa agent")
    admin = make_user(Role.ADMIN, name="Aaa admin")
    gone = make_user(Role.AGENT, name="Aaa gone", active=False)
    await _users(uow_factory, customer, agent, admin, gone)
    found = await read_store.users_by_ids([customer.id, agent.id, uid()])
    assert found == {customer.id: customer, agent.id: agent}
    staff = await read_store.staff_users()
    staff_ids = [u.id for u in staff]
    assert admin.id in staff_ids and agent.id in staff_ids
    assert customer.id not in staff_ids and gone.id not in staff_ids
    assert all(u.role.is_staff for u in staff)
    assert [u.name for u in staff] == sorted(u.name for u in staff)


async def test_refund_queries(uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore) -> None:
    customer = make_user()
    await _users(uow_factory, customer)
    order_a, order_b = f"ord-{uid()}", f"ord-{uid()}"
    case_a, case_b = make_case(customer, order_id=order_a), make_case(customer, order_id=order_b)
    refunds = [
        make_refund(case_a, now=_minutes(1)),
        make_refund(case_a, status=RefundStatus.FAILED, now=_minutes(2)),
        make_refund(case_b, status=RefundStatus.FAILED, now=_minutes(3)),
    ]
    async with uow_factory() as uow:
        await uow.cases.add(case_a)
        await uow.cases.add(case_b)
        for refund in refunds:
            await uow.refunds.add(refund)
        await uow.commit()
    r1, r2, r3 = refunds

    assert await read_store.get_refund(r1.id) == r1
    assert await read_store.get_refund(uid()) is None
    assert await read_store.refunds_by_ids([r1.id, r3.id]) == {r1.id: r1, r3.id: r3}
    lonely = uid()
    by_case = await read_store.refunds_for_cases([case_a.id, case_b.id, lonely])
    assert by_case == {case_a.id: [r1, r2], case_b.id: [r3], lonely: []}
    by_order = await read_store.refunds_for_orders([order_a, order_b])
    assert by_order == {order_a: [r1, r2], order_b: [r3]}

    mine = (case_a.id, case_b.id)

    async def walk(refund_filter: RefundFilter) -> list[Refund]:
        items: list[Refund] = []
        after: str | None = None
        while True:
            page = await read_store.list_refunds(refund_filter, first=1, after=after)
            items += page.items
            if not page.has_next_page:
                return items
            after = page.end_cursor

    assert await walk(RefundFilter(case_ids=mine)) == [r3, r2, r1]  # newest first
    assert await walk(RefundFilter(case_ids=mine, statuses=(RefundStatus.FAILED,))) == [r3, r2]
    assert await walk(RefundFilter(order_id=order_a)) == [r2, r1]


async def test_every_read_is_one_statement(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore, engine: AsyncEngine
) -> None:
    customer, agent = make_user(), make_user(Role.AGENT)
    await _users(uow_factory, customer, agent)
    cases = [make_case(customer, order_id=f"ord-{uid()}", now=_minutes(i)) for i in range(3)]
    messages = [make_message(c, customer) for c in cases]
    refunds = [make_refund(c) for c in cases]
    async with uow_factory() as uow:
        for case, message, refund in zip(cases, messages, refunds, strict=True):
            await uow.cases.add(case)
            await uow.messages.add(message)
            await uow.refunds.add(refund)
        await uow.commit()
        events = uow.committed_events
    case_ids = [c.id for c in cases]
    first_page = await read_store.list_cases(
        CaseFilter(customer_id=customer.id), first=1, after=None
    )

    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "get_case": lambda: read_store.get_case(case_ids[0]),
        "list_cases": lambda: read_store.list_cases(
            CaseFilter(customer_id=customer.id, search="parcel"),
            first=2,
            after=first_page.end_cursor,
        ),
        "cases_by_ids": lambda: read_store.cases_by_ids(case_ids),
        "list_messages": lambda: read_store.list_messages(
            case_ids[0], include_internal=False, first=10, after=None
        ),
        "get_message": lambda: read_store.get_message(messages[0].id),
        "messages_by_ids": lambda: read_store.messages_by_ids([m.id for m in messages]),
        "last_messages": lambda: read_store.last_messages(case_ids, include_internal=False),
        "list_events": lambda: read_store.list_events(
            case_ids[0], include_internal=False, first=10, after=None
        ),
        "get_event": lambda: read_store.get_event(events[0].id),
        "users_by_ids": lambda: read_store.users_by_ids([customer.id, agent.id]),
        "staff_users": read_store.staff_users,
        "get_refund": lambda: read_store.get_refund(refunds[0].id),
        "refunds_by_ids": lambda: read_store.refunds_by_ids([r.id for r in refunds]),
        "refunds_for_cases": lambda: read_store.refunds_for_cases(case_ids),
        "refunds_for_orders": lambda: read_store.refunds_for_orders([r.order_id for r in refunds]),
        "list_refunds": lambda: read_store.list_refunds(
            RefundFilter(case_ids=tuple(case_ids)), first=2, after=None
        ),
        "count_cases": lambda: read_store.count_cases(CaseFilter(customer_id=customer.id)),
        "count_refunds": lambda: read_store.count_refunds(RefundFilter(case_ids=tuple(case_ids))),
        "list_staff": lambda: read_store.list_staff(first=5, after=None),
        "refund_pages_for_cases": lambda: read_store.refund_pages_for_cases(
            [RefundPageRequest(case_id, 2) for case_id in case_ids]
        ),
        "count_refunds_for_cases": lambda: read_store.count_refunds_for_cases(case_ids),
        "message_pages_for_cases": lambda: read_store.message_pages_for_cases(
            [MessagePageRequest(case_id, 2) for case_id in case_ids]
        ),
        "event_pages_for_cases": lambda: read_store.event_pages_for_cases(
            [EventPageRequest(case_id, 2, include_internal=True) for case_id in case_ids]
        ),
    }
    counts: dict[str, int] = {}
    for name, call in calls.items():
        with count_statements(engine) as counter:
            result = await call()
        assert getattr(result, "items", result), f"{name} found nothing: the count proves little"
        counts[name] = counter.count
    assert counts == {name: 1 for name in calls}

    with count_statements(engine) as counter:
        await read_store.cases_by_ids([])
        await read_store.last_messages([], include_internal=True)
        await read_store.refund_pages_for_cases([])
        await read_store.count_refunds_for_cases([])
        await read_store.message_pages_for_cases([])
        await read_store.event_pages_for_cases([])
    assert counter.count == 0


async def test_overdue_filter_follows_the_domain_rule_in_one_statement(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore, engine: AsyncEngine
) -> None:
    customer, other = make_user(), make_user()
    await _users(uow_factory, customer, other)
    now = T0 + timedelta(days=30)
    mine = overdue_scenarios(customer.id, now)
    await _cases(uow_factory, *mine.values(), *overdue_scenarios(other.id, now).values())
    names = {case.id: name for name, case in mine.items()}
    stored = await read_store.cases_by_ids(list(names))
    # The stored cases (after the round trip) still show what the scenarios meant.
    assert {names[i]: is_overdue(c, now) for i, c in stored.items()} == EXPECTED

    async def listed(**kwargs: Any) -> set[str]:
        page = await read_store.list_cases(
            CaseFilter(customer_id=customer.id, **kwargs), first=100, after=None
        )
        return {names[c.id] for c in page.items}

    overdue = {name for name, late in EXPECTED.items() if late}
    with count_statements(engine) as counter:
        assert await listed(overdue=True, as_of=now) == overdue
    assert counter.count == 1, counter.statements
    assert await listed(overdue=False, as_of=now) == set(EXPECTED) - overdue
    assert await listed(overdue=True, as_of=now, statuses=(CaseStatus.IN_PROGRESS,)) == {
        "in_progress_resolution_late",
        "resumed_and_late",
    }
    assert await listed(overdue=True, as_of=now - timedelta(days=1)) == set()
    # Pages of the filtered list: keyset pagination still walks every overdue case once.
    ids: list[str] = []
    after: str | None = None
    while True:
        page = await read_store.list_cases(
            CaseFilter(customer_id=customer.id, overdue=True, as_of=now), first=2, after=after
        )
        ids += [names[c.id] for c in page.items]
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert sorted(ids) == sorted(overdue)


async def test_a_page_of_refunds_for_each_case_of_a_list(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore, engine: AsyncEngine
) -> None:
    customer = make_user()
    await _users(uow_factory, customer)
    busy, quiet, empty = (make_case(customer, order_id=f"ord-{uid()}") for _ in range(3))
    # 7 refunds on one case, pairs sharing a timestamp (the id breaks ties), 2 on another.
    busy_refunds = [make_refund(busy, now=_minutes(i // 2)) for i in range(7)]
    quiet_refunds = [make_refund(quiet, now=_minutes(i)) for i in range(2)]
    async with uow_factory() as uow:
        for case in (busy, quiet, empty):
            await uow.cases.add(case)
        for refund in busy_refunds + quiet_refunds:
            await uow.refunds.add(refund)
        await uow.commit()
    oldest_first = {
        case.id: [r.id for r in sorted(refunds, key=lambda r: (r.created_at, r.id))]
        for case, refunds in ((busy, busy_refunds), (quiet, quiet_refunds), (empty, []))
    }

    for first in range(1, 9):
        seen: dict[str, list[str]] = {case_id: [] for case_id in oldest_first}
        after: dict[str, str | None] = dict.fromkeys(oldest_first)
        pending = set(oldest_first)
        while pending:
            requests = [RefundPageRequest(c, first, after[c]) for c in sorted(pending)]
            with count_statements(engine) as counter:
                pages = await read_store.refund_pages_for_cases(requests)
            assert counter.count == 1  # every case of the list in one statement
            for request, page in pages.items():
                seen[request.case_id] += [r.id for r in page.items]
                if page.has_next_page:
                    after[request.case_id] = page.end_cursor
                else:
                    pending.discard(request.case_id)
        assert seen == oldest_first, first

    # The same case twice (e.g. two aliases with different cursors): still right, two statements.
    head = await read_store.refund_pages_for_cases([RefundPageRequest(busy.id, 2)])
    twice = [
        RefundPageRequest(busy.id, 2),
        RefundPageRequest(busy.id, 3, head[RefundPageRequest(busy.id, 2)].end_cursor),
    ]
    both = await read_store.refund_pages_for_cases(twice)
    assert [r.id for r in both[twice[0]].items] == oldest_first[busy.id][:2]
    assert [r.id for r in both[twice[1]].items] == oldest_first[busy.id][2:5]

    counts = await read_store.count_refunds_for_cases([busy.id, quiet.id, empty.id])
    assert counts == {busy.id: 7, quiet.id: 2, empty.id: 0}
    with pytest.raises(ValidationFailed):  # a cursor of another list
        await read_store.refund_pages_for_cases(
            [RefundPageRequest(busy.id, 2, encode_cursor("refund", T0, busy_refunds[0].id))]
        )


async def _case_with_notes(
    uow_factory: SqlUnitOfWorkFactory, customer: User, agent: User, *, posts: int
) -> SupportCase:
    """A case with `posts` messages, pairs sharing a timestamp (the id breaks ties), every third
    one an internal note (and so an internal event)."""
    case = make_case(customer)
    await _cases(uow_factory, case)
    async with uow_factory() as uow:
        for i in range(posts):
            internal = i % 3 == 2
            author = _staff(agent) if internal or i % 2 else _staff(customer)
            message = case.post_message(
                f"post {i}", internal=internal, author=author, now=_minutes(i // 2)
            )
            await uow.messages.add(message)
        await uow.cases.save(case)
        await uow.commit()
    return case


async def test_a_page_of_messages_and_of_the_timeline_for_each_case_of_a_list(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore, engine: AsyncEngine
) -> None:
    customer, agent = make_user(), make_user(Role.AGENT)
    await _users(uow_factory, customer, agent)
    busy = await _case_with_notes(uow_factory, customer, agent, posts=8)
    quiet = await _case_with_notes(uow_factory, customer, agent, posts=2)
    silent = await _case_with_notes(uow_factory, customer, agent, posts=0)
    case_ids = [busy.id, quiet.id, silent.id]

    async def every_message(case_id: str, include_internal: bool) -> list[str]:
        page = await read_store.list_messages(
            case_id, include_internal=include_internal, first=100, after=None
        )
        return [m.id for m in page.items]

    async def every_event(case_id: str, include_internal: bool) -> list[str]:
        page = await read_store.list_events(
            case_id, include_internal=include_internal, first=100, after=None
        )
        return [e.id for e in page.items]

    for include_internal in (True, False):
        expected_messages = {c: await every_message(c, include_internal) for c in case_ids}
        expected_events = {c: await every_event(c, include_internal) for c in case_ids}
        # The per-case path is the reference: oldest first, ties by id; internal ones for staff.
        assert len(expected_messages[busy.id]) == (8 if include_internal else 6)
        assert len(expected_events[busy.id]) == (9 if include_internal else 7)  # + opened
        assert expected_messages[silent.id] == []
        for first in range(1, 11):
            seen_messages: dict[str, list[str]] = {c: [] for c in case_ids}
            after: dict[str, str | None] = dict.fromkeys(case_ids)
            pending = set(case_ids)
            while pending:
                requests = [
                    MessagePageRequest(c, first, after[c], include_internal)
                    for c in sorted(pending)
                ]
                with count_statements(engine) as counter:
                    pages = await read_store.message_pages_for_cases(requests)
                assert counter.count == 1  # every case of the list in one statement
                assert set(pages) == set(requests)
                for request, page in pages.items():
                    seen_messages[request.case_id] += [m.id for m in page.items]
                    assert len(page.items) <= first
                    if page.has_next_page:
                        after[request.case_id] = page.end_cursor
                    else:
                        pending.discard(request.case_id)
            assert seen_messages == expected_messages, (first, include_internal)

            seen_events: dict[str, list[str]] = {c: [] for c in case_ids}
            after = dict.fromkeys(case_ids)
            pending = set(case_ids)
            while pending:
                event_requests = [
                    EventPageRequest(c, first, after[c], include_internal) for c in sorted(pending)
                ]
                with count_statements(engine) as counter:
                    event_pages = await read_store.event_pages_for_cases(event_requests)
                assert counter.count == 1
                assert set(event_pages) == set(event_requests)
                for event_request, event_page in event_pages.items():
                    seen_events[event_request.case_id] += [e.id for e in event_page.items]
                    assert event_page.cursors == [str(e.sequence) for e in event_page.items]
                    if event_page.has_next_page:
                        after[event_request.case_id] = event_page.end_cursor
                    else:
                        pending.discard(event_request.case_id)
            assert seen_events == expected_events, (first, include_internal)

    # A customer never gets internal ones, whatever else the batch holds.
    public, staff = MessagePageRequest(busy.id, 100), MessagePageRequest(quiet.id, 100, None, True)
    mixed = await read_store.message_pages_for_cases([public, staff])
    assert not any(m.internal for m in mixed[public].items)
    assert [m.id for m in mixed[staff].items] == await every_message(quiet.id, True)
    public_events = await read_store.event_pages_for_cases([EventPageRequest(busy.id, 100)])
    assert not any(e.internal for e in public_events[EventPageRequest(busy.id, 100)].items)

    # The same case twice (two aliases with different cursors): still right, two statements.
    head = (await read_store.message_pages_for_cases([MessagePageRequest(busy.id, 2)]))[
        MessagePageRequest(busy.id, 2)
    ]
    twice = [MessagePageRequest(busy.id, 2), MessagePageRequest(busy.id, 3, head.end_cursor)]
    with count_statements(engine) as counter:
        both = await read_store.message_pages_for_cases(twice)
    assert counter.count == 2
    public_ids = await every_message(busy.id, False)
    assert [m.id for m in both[twice[0]].items] == public_ids[:2]
    assert [m.id for m in both[twice[1]].items] == public_ids[2:5]

    with pytest.raises(ValidationFailed):  # a cursor of another list
        await read_store.message_pages_for_cases(
            [MessagePageRequest(busy.id, 2, encode_cursor("refund", T0, head.items[0].id))]
        )
    for bad in ("-1", "abc", head.end_cursor or ""):
        with pytest.raises(ValidationFailed):
            await read_store.event_pages_for_cases([EventPageRequest(busy.id, 2, bad)])
    with pytest.raises(ValidationFailed):
        await read_store.message_pages_for_cases([MessagePageRequest(busy.id, 0)])


async def test_counts_match_the_filters(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    customer, other = make_user(), make_user()
    await _users(uow_factory, customer, other)
    cases = [
        make_case(customer, priority=CasePriority.HIGH if i % 2 else CasePriority.LOW)
        for i in range(5)
    ]
    cases.append(make_case(other))
    await _cases(uow_factory, *cases)
    assert await read_store.count_cases(CaseFilter(customer_id=customer.id)) == 5
    high = CaseFilter(customer_id=customer.id, priorities=(CasePriority.HIGH,))
    assert await read_store.count_cases(high) == 2
    assert await read_store.count_cases(CaseFilter(customer_id=uid())) == 0
    refunds = [
        make_refund(cases[0], status=RefundStatus.FAILED),
        make_refund(cases[1], status=RefundStatus.FAILED),
        make_refund(cases[1]),
    ]
    async with uow_factory() as uow:
        for refund in refunds:
            await uow.refunds.add(refund)
        await uow.commit()
    mine = tuple(c.id for c in cases)
    failed = RefundFilter(case_ids=mine, statuses=(RefundStatus.FAILED,))
    assert await read_store.count_refunds(failed) == 2
    assert await read_store.count_refunds(RefundFilter(case_ids=mine)) == 3


async def test_staff_pages_by_name(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    tag = uid()[:6]
    staff = [make_user(Role.AGENT, name=f"Zz {tag} {i // 2}") for i in range(5)]
    staff.append(make_user(Role.ADMIN, name=f"Zz {tag} admin"))
    gone = make_user(Role.AGENT, name=f"Zz {tag} gone", active=False)
    await _users(uow_factory, *staff, gone, make_user())
    everyone = [u.id for u in await read_store.staff_users()]
    for first in (1, 2, 5, 100):
        seen: list[str] = []
        after: str | None = None
        while True:
            page = await read_store.list_staff(first=first, after=after)
            seen += [u.id for u in page.items]
            if not page.has_next_page:
                break
            after = page.end_cursor
        assert seen == everyone, first
    assert gone.id not in everyone and set(u.id for u in staff) <= set(everyone)
    with pytest.raises(ValidationFailed):
        await read_store.list_staff(first=2, after=encode_cursor("case", T0, uid()))

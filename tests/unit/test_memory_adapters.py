"""The in-process adapters behave like the real ones: transactions, versions, ledger, paging."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
from datetime import datetime, timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import (
    DuplicateKey,
    FakeOrderSystem,
    InMemoryEventPublisher,
    InMemoryReadStore,
    InMemoryStore,
    InMemoryUnitOfWork,
    InMemoryUnitOfWorkFactory,
    UnitOfWorkClosed,
)
from domain.auth import RefreshToken
from domain.cases import (
    CasePriority,
    CaseRules,
    CaseStatus,
    Message,
    SupportCase,
)
from domain.errors import ConcurrentUpdate, OrderSystemUnavailable, ValidationFailed
from domain.events import CaseEvent, CaseEventType
from domain.orders import OrderStatus
from domain.queries import (
    CaseFilter,
    EventPageRequest,
    MessagePageRequest,
    RefundFilter,
    RefundPageRequest,
)
from domain.refunds import Refund, RefundApproval, RefundReason, RefundStatus
from domain.users import Principal, Role
from tests.unit.builders import ALICE_ID, BOB_ID, NOW, demo_orders, demo_users, opened_case, usd

RULES = CaseRules()
AGENT = Principal(user_id="user-agent", role=Role.AGENT, session_id="s")


@pytest.fixture
def store() -> InMemoryStore:
    s = InMemoryStore()
    for user in demo_users(NOW):
        s.add_user(user)
    return s


@pytest.fixture
def uow(store: InMemoryStore) -> InMemoryUnitOfWorkFactory:
    return InMemoryUnitOfWorkFactory(store)


def a_case(
    customer: str = ALICE_ID,
    at: datetime = NOW,
    subject: str = "Help",
    priority: CasePriority = CasePriority.NORMAL,
) -> SupportCase:
    return opened_case(
        customer_id=customer, subject=subject, priority=priority, now=at, rules=RULES
    )


def a_refund(
    amount: int,
    status: RefundStatus = RefundStatus.REQUESTED,
    *,
    at: datetime = NOW,
    customer: str = ALICE_ID,
    order_id: str = "ord-1",
    case_id: str = "case-1",
    decided_at: datetime | None = None,
) -> Refund:
    approved = status in (RefundStatus.APPROVED, RefundStatus.PROCESSING, RefundStatus.SUCCEEDED)
    return Refund(
        id=f"r-{amount}-{at.isoformat()}-{status}",
        case_id=case_id,
        order_id=order_id,
        customer_id=customer,
        amount=usd(amount),
        reason=RefundReason.DAMAGED,
        status=status,
        created_at=at,
        updated_at=at,
        requested_by_id=customer,
        approval=RefundApproval.AGENT if approved else None,
        decided_at=decided_at if decided_at is not None else (at if approved else None),
    )


async def stored_case(uow: InMemoryUnitOfWorkFactory, case: SupportCase) -> SupportCase:
    async with uow() as work:
        await work.cases.add(case)
        work.record(*case.pull_events())
        await work.commit()
    return case


# -- transactions ---------------------------------------------------------------------------------


async def test_changes_are_visible_only_after_commit(
    uow: InMemoryUnitOfWorkFactory, store: InMemoryStore
) -> None:
    case = a_case()
    async with uow() as writer:
        await writer.cases.add(case)
        assert await writer.cases.get(case.id) is case  # reads its own writes
        async with uow() as reader:
            assert await reader.cases.get(case.id) is None
        assert store.cases == {}
        await writer.commit()
    assert store.cases[case.id].subject == "Help"
    assert store.cases[case.id] is not case  # the store keeps its own copy
    assert store.commits == 1


async def test_rollback_by_default_and_on_error(
    uow: InMemoryUnitOfWorkFactory, store: InMemoryStore
) -> None:
    async with uow() as work:
        await work.cases.add(a_case())
    with pytest.raises(RuntimeError):
        async with uow() as work:
            await work.cases.add(a_case())
            raise RuntimeError("boom")
    assert store.cases == {} and store.rollbacks == 2
    # Case numbers behave like a sequence: never reused after a rollback.
    assert (await stored_case(uow, a_case())).number == 3


async def test_loaded_objects_are_copies_and_saved_state_is_a_snapshot(
    uow: InMemoryUnitOfWorkFactory, store: InMemoryStore
) -> None:
    case = await stored_case(uow, a_case())
    async with uow() as work:
        loaded = await work.cases.get(case.id)
        assert loaded is not None and await work.cases.get(case.id) is loaded  # identity map
        loaded.subject = "changed, not saved"
        await work.commit()
    assert store.cases[case.id].subject == "Help"
    async with uow() as work:
        loaded = await work.cases.get(case.id)
        assert loaded is not None
        loaded.subject = "saved"
        await work.cases.save(loaded)
        loaded.subject = "changed after save"
        await work.commit()
    assert store.cases[case.id].subject == "saved"


async def test_save_is_optimistic(uow: InMemoryUnitOfWorkFactory, store: InMemoryStore) -> None:
    case = await stored_case(uow, a_case())
    async with uow() as first, uow() as second:
        mine = await first.cases.get(case.id)
        theirs = await second.cases.get(case.id)
        assert mine is not None and theirs is not None
        mine.subject = "first"
        await first.cases.save(mine)
        await first.cases.save(mine)  # saving twice in one unit is fine
        await first.commit()
        theirs.subject = "second"
        with pytest.raises(ConcurrentUpdate):
            await second.cases.save(theirs)
    assert store.cases[case.id].subject == "first"
    assert store.cases[case.id].version == 2


async def test_commit_rechecks_versions_and_applies_nothing_on_conflict(
    uow: InMemoryUnitOfWorkFactory, store: InMemoryStore
) -> None:
    case = await stored_case(uow, a_case())
    events_before = len(store.events)
    first, second = uow(), uow()
    a = await first.cases.get(case.id)
    b = await second.cases.get(case.id)
    assert a is not None and b is not None
    a.post_message("from a", internal=False, author=AGENT, now=NOW)
    message = b.post_message("from b", internal=False, author=AGENT, now=NOW)
    await first.cases.save(a)
    await second.cases.save(b)  # both saved version 0 before either committed
    await second.messages.add(message)
    second.record(*b.pull_events())
    await first.commit()
    with pytest.raises(ConcurrentUpdate):
        await second.commit()
    assert message.id not in store.messages
    assert [e.summary for e in store.events[events_before:]] == ["Message posted"]  # a's only
    with pytest.raises(UnitOfWorkClosed):
        await second.commit()


async def test_save_of_something_that_is_not_stored(uow: InMemoryUnitOfWorkFactory) -> None:
    async with uow() as work:
        with pytest.raises(ConcurrentUpdate):
            await work.cases.save(a_case())
        with pytest.raises(ConcurrentUpdate):
            await work.refunds.save(a_refund(100))


async def test_duplicates_are_refused(uow: InMemoryUnitOfWorkFactory) -> None:
    case = await stored_case(uow, a_case())
    async with uow() as work:
        with pytest.raises(DuplicateKey):
            await work.cases.add(case)
        alice = await work.users.get(ALICE_ID)
        assert alice is not None
        with pytest.raises(DuplicateKey):
            await work.users.add(dataclasses.replace(alice, id="another-alice"))
        with pytest.raises(ValueError):
            await work.messages.add(
                Message("m", "no-such-case", ALICE_ID, "hi", internal=False, created_at=NOW)
            )


async def test_users(uow: InMemoryUnitOfWorkFactory, store: InMemoryStore) -> None:
    async with uow() as work:
        alice = await work.users.get_by_email("alice@example.com")
        assert alice is not None and alice.id == ALICE_ID
        assert await work.users.get_by_email("ALICE@example.com") is None  # callers normalise
        alice.name = "Alice A."
        await work.users.save(alice)
        await work.commit()
    assert store.users[ALICE_ID].name == "Alice A."


# -- the event log --------------------------------------------------------------------------------


async def test_events_get_sequences_at_commit(
    uow: InMemoryUnitOfWorkFactory, store: InMemoryStore
) -> None:
    case = a_case()
    async with uow() as work:
        opened_id = case.events[0].id
        await work.cases.add(case)  # hands the aggregate's events to the unit of work
        assert case.events == []
        assert work.committed_events == [] and store.events == []
        await work.commit()
    assert [e.sequence for e in work.committed_events] == [1]
    assert store.events == work.committed_events
    assert work.committed_events[0].id == opened_id
    async with uow() as work:
        loaded = await work.cases.get(case.id)
        assert loaded is not None
        loaded.change_status(CaseStatus.IN_PROGRESS, actor=AGENT, now=NOW, rules=RULES)
        loaded.change_status(CaseStatus.RESOLVED, actor=AGENT, now=NOW, rules=RULES)
        await work.cases.save(loaded)
        # not recorded explicitly: pending events of saved aggregates still reach the log
        await work.commit()
    assert [e.sequence for e in store.events] == [1, 2, 3]
    assert [e.type for e in work.committed_events] == [CaseEventType.STATUS_CHANGED] * 2
    assert all(c.events == [] for c in store.cases.values())  # never stored inside the row


async def test_rolled_back_events_never_reach_the_log(
    uow: InMemoryUnitOfWorkFactory, store: InMemoryStore
) -> None:
    case = a_case()
    async with uow() as work:
        await work.cases.add(case)
        work.record(*case.pull_events())
    assert store.events == [] and work.committed_events == []
    with pytest.raises(UnitOfWorkClosed):
        work.record(*case.pull_events())


async def test_failed_commit_changes_nothing(
    uow: InMemoryUnitOfWorkFactory, store: InMemoryStore
) -> None:
    store.fail_next_commit = OSError("disk full")
    case = a_case()
    with pytest.raises(OSError):
        async with uow() as work:
            await work.cases.add(case)
            work.record(*case.pull_events())
            assert await work.ledger.reserve("ord-1", usd(100), usd(50))
            await work.commit()
    assert store.cases == {} and store.events == [] and store.ledger == {}
    assert store.fail_next_commit is None
    async with uow() as again:
        assert await again.ledger.reserve("ord-1", usd(100), usd(100))  # lock was released


# -- the refund ledger ----------------------------------------------------------------------------


async def test_ledger_reserve_and_release(
    uow: InMemoryUnitOfWorkFactory, store: InMemoryStore
) -> None:
    total = usd(12000)
    async with uow() as work:
        assert await work.ledger.reserve("ord-1", total, usd(4000))
        assert await work.ledger.reserve("ord-1", total, usd(8000))
        assert not await work.ledger.reserve("ord-1", total, usd(1))
        await work.ledger.release("ord-1", usd(4000))
        assert await work.ledger.reserve("ord-1", total, usd(4000))
        assert not await work.ledger.reserve("ord-1", total, usd(1))
        await work.commit()
    assert store.reserved("ord-1") == total
    async with uow() as work:
        assert not await work.ledger.reserve("ord-1", total, usd(1))
        await work.ledger.release("ord-1", usd(12000))
        with pytest.raises(ValueError):
            await work.ledger.release("ord-1", usd(1))  # CHECK (reserved >= 0)
        with pytest.raises(ValueError):
            await work.ledger.reserve("ord-1", total, usd(0))
    assert store.reserved("ord-1") == total  # rolled back


async def test_ledger_reservations_are_isolated_and_serialised(
    uow: InMemoryUnitOfWorkFactory, store: InMemoryStore
) -> None:
    total = usd(10000)
    first = uow()
    assert await first.ledger.reserve("ord-1", total, usd(8000))
    second = uow()
    contender = asyncio.create_task(second.ledger.reserve("ord-1", total, usd(5000)))
    await asyncio.sleep(0.01)
    assert not contender.done()  # waits for the row lock, like PostgreSQL
    await first.commit()
    assert await contender is False  # sees the committed 80.00
    await second.rollback()
    # When the holder rolls back instead, the waiting reservation goes through.
    third, fourth = uow(), uow()
    assert await third.ledger.reserve("ord-1", total, usd(2000))
    waiting = asyncio.create_task(fourth.ledger.reserve("ord-1", total, usd(2000)))
    await asyncio.sleep(0.01)
    await third.rollback()
    assert await waiting is True
    await fourth.commit()
    assert store.reserved("ord-1") == usd(10000)


async def test_ledger_rows_are_independent_per_order(uow: InMemoryUnitOfWorkFactory) -> None:
    first, second = uow(), uow()
    assert await first.ledger.reserve("ord-1", usd(100), usd(100))
    assert await asyncio.wait_for(second.ledger.reserve("ord-2", usd(100), usd(100)), 1)
    await first.rollback()
    await second.rollback()


async def test_concurrent_reservations_never_exceed_the_total(
    uow: InMemoryUnitOfWorkFactory, store: InMemoryStore
) -> None:
    async def reserve(amount: int) -> bool:
        async with uow() as work:
            ok = await work.ledger.reserve("ord-1", usd(10000), usd(amount))
            await asyncio.sleep(0)  # other work inside the transaction
            await work.commit()
            return ok

    results = await asyncio.gather(*(reserve(3000) for _ in range(10)))
    assert results.count(True) == 3
    assert store.reserved("ord-1") == usd(9000)


# -- refunds and refresh tokens -------------------------------------------------------------------


async def test_refund_queries(uow: InMemoryUnitOfWorkFactory, store: InMemoryStore) -> None:
    day = timedelta(days=1)
    refunds = [
        a_refund(100, RefundStatus.REQUESTED, at=NOW - 2 * day),
        a_refund(200, RefundStatus.APPROVED, at=NOW - 100 * day),
        a_refund(300, RefundStatus.SUCCEEDED, at=NOW - 10 * day),
        a_refund(400, RefundStatus.REJECTED, at=NOW - 5 * day),
        a_refund(500, RefundStatus.FAILED, at=NOW - 5 * day),
        a_refund(600, RefundStatus.PROCESSING, at=NOW, order_id="ord-2"),
        a_refund(700, RefundStatus.APPROVED, at=NOW, customer=BOB_ID),
    ]
    async with uow() as work:
        for r in refunds:
            await work.refunds.add(r)
        # queries inside the unit already see its own writes
        assert len(await work.refunds.list_for_order("ord-1")) == 6
        await work.commit()
    async with uow() as work:
        listed = await work.refunds.list_for_order("ord-1")
        assert [r.amount.amount for r in listed] == [200, 300, 400, 500, 100, 700]
        assert await work.refunds.count_requested_since(ALICE_ID, NOW - 3 * day) == 2
        assert await work.refunds.count_requested_since(ALICE_ID, NOW - 365 * day) == 6
        # granted: approved (by anyone) or paid; not requested, rejected or failed
        assert await work.refunds.count_granted_since(ALICE_ID, NOW - 90 * day) == 2
        assert await work.refunds.count_granted_since(ALICE_ID, NOW - 365 * day) == 3
        assert await work.refunds.count_granted_since(BOB_ID, NOW - day) == 1


def a_token(token_id: str, family: str = "fam-1") -> RefreshToken:
    return RefreshToken(
        id=token_id,
        family_id=family,
        user_id=ALICE_ID,
        token_hash=f"hash-{token_id}",
        created_at=NOW,
        expires_at=NOW + timedelta(days=14),
    )


async def test_mark_used_is_guarded(uow: InMemoryUnitOfWorkFactory, store: InMemoryStore) -> None:
    async with uow() as work:
        await work.refresh_tokens.add(a_token("t1"))
        await work.commit()
    first, second = uow(), uow()
    token_a = await first.refresh_tokens.get_by_hash("hash-t1")
    token_b = await second.refresh_tokens.get_by_hash("hash-t1")
    assert token_a is not None and token_b is not None
    assert await first.refresh_tokens.mark_used(token_a, NOW)
    assert token_a.used_at == NOW
    assert not await first.refresh_tokens.mark_used(token_a, NOW)  # already used in this unit
    contender = asyncio.create_task(second.refresh_tokens.mark_used(token_b, NOW))
    await asyncio.sleep(0.01)
    assert not contender.done()
    await first.commit()
    assert await contender is False
    await second.rollback()
    assert store.refresh_tokens["t1"].used_at == NOW


async def test_mark_used_after_a_rollback_succeeds(uow: InMemoryUnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.refresh_tokens.add(a_token("t1"))
        await work.commit()
    async with uow() as work:
        token = await work.refresh_tokens.get_by_hash("hash-t1")
        assert token is not None and await work.refresh_tokens.mark_used(token, NOW)
    async with uow() as work:
        token = await work.refresh_tokens.get_by_hash("hash-t1")
        assert token is not None and token.used_at is None
        assert await work.refresh_tokens.mark_used(token, NOW)


async def test_revoke_family_and_a_concurrent_rotation_both_stick(
    uow: InMemoryUnitOfWorkFactory, store: InMemoryStore
) -> None:
    async with uow() as work:
        await work.refresh_tokens.add(a_token("t1"))
        await work.refresh_tokens.add(a_token("other", family="fam-2"))
        await work.commit()
    rotating, revoking = uow(), uow()
    token = await rotating.refresh_tokens.get_by_hash("hash-t1")
    assert token is not None and await rotating.refresh_tokens.mark_used(token, NOW)
    await revoking.refresh_tokens.revoke_family("fam-1", NOW + timedelta(seconds=1))
    assert not await revoking.refresh_tokens.family_active("fam-1")
    assert await rotating.refresh_tokens.family_active("fam-1")  # not committed yet
    await revoking.commit()
    await rotating.commit()
    t1 = store.refresh_tokens["t1"]
    assert t1.used_at == NOW and t1.revoked_at == NOW + timedelta(seconds=1)
    assert store.refresh_tokens["other"].revoked_at is None
    async with uow() as work:
        assert not await work.refresh_tokens.family_active("fam-1")
        assert await work.refresh_tokens.family_active("fam-2")
        assert not await work.refresh_tokens.family_active("unknown")


# -- read store -----------------------------------------------------------------------------------


@pytest.fixture
async def cases(uow: InMemoryUnitOfWorkFactory) -> list[SupportCase]:
    made = []
    for i in range(25):
        # pairs share a created_at so the id decides between them
        case = a_case(
            customer=ALICE_ID if i % 2 else BOB_ID,
            at=NOW + timedelta(minutes=i // 2),
            subject=f"Subject {i} {'Lamp' if i % 5 == 0 else 'Box'}",
            priority=CasePriority.URGENT if i % 3 == 0 else CasePriority.NORMAL,
        )
        if i % 4 == 0:
            case.assign(AGENT.user_id, assignee_name="A", actor=AGENT, now=NOW)
        made.append(await stored_case(uow, case))
    return made


def newest_first(cases: list[SupportCase]) -> list[str]:
    return [c.id for c in sorted(cases, key=lambda c: (c.created_at, c.id), reverse=True)]


async def test_cases_are_keyset_paginated_newest_first(
    store: InMemoryStore, cases: list[SupportCase]
) -> None:
    reads = InMemoryReadStore(store)
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        page = await reads.list_cases(CaseFilter(), first=10, after=after)
        pages += 1
        seen += [c.id for c in page.items]
        assert len(page.cursors) == len(page.items)
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert pages == 3
    assert seen == newest_first(cases)


async def test_pagination_is_stable_when_new_cases_arrive(
    store: InMemoryStore, uow: InMemoryUnitOfWorkFactory, cases: list[SupportCase]
) -> None:
    reads = InMemoryReadStore(store)
    first = await reads.list_cases(CaseFilter(), first=5, after=None)
    await stored_case(uow, a_case(at=NOW + timedelta(days=1)))
    second = await reads.list_cases(CaseFilter(), first=5, after=first.end_cursor)
    assert [c.id for c in first.items + second.items] == newest_first(cases)[:10]


async def test_exact_page_has_no_next_page(store: InMemoryStore, cases: list[SupportCase]) -> None:
    reads = InMemoryReadStore(store)
    page = await reads.list_cases(CaseFilter(), first=25, after=None)
    assert len(page.items) == 25 and not page.has_next_page
    empty = await reads.list_cases(CaseFilter(), first=5, after=page.end_cursor)
    assert empty.items == [] and empty.end_cursor is None and not empty.has_next_page


async def test_case_filters(store: InMemoryStore, cases: list[SupportCase]) -> None:
    reads = InMemoryReadStore(store)

    async def ids(f: CaseFilter) -> set[str]:
        return {c.id for c in (await reads.list_cases(f, first=100, after=None)).items}

    assert await ids(CaseFilter(customer_id=ALICE_ID)) == {
        c.id for c in cases if c.customer_id == ALICE_ID
    }
    assert await ids(CaseFilter(priorities=(CasePriority.URGENT,))) == {
        c.id for c in cases if c.priority is CasePriority.URGENT
    }
    assert await ids(CaseFilter(statuses=(CaseStatus.OPEN,))) == {c.id for c in cases}
    assert await ids(CaseFilter(statuses=(CaseStatus.CLOSED, CaseStatus.RESOLVED))) == set()
    assert await ids(CaseFilter(assignee_id=AGENT.user_id)) == {
        c.id for c in cases if c.assignee_id
    }
    assert await ids(CaseFilter(unassigned=True)) == {c.id for c in cases if not c.assignee_id}
    assert await ids(CaseFilter(search="  lamp ")) == {c.id for c in cases if "Lamp" in c.subject}
    third = next(c for c in cases if c.number == 3)
    for search in ("CS-000003", "cs-3", "3", "000003"):
        assert third.id in await ids(CaseFilter(search=search))
    assert await ids(CaseFilter(search="CS-000999")) == set()
    assert await ids(CaseFilter(customer_id=BOB_ID, priorities=(CasePriority.URGENT,))) == {
        c.id for c in cases if c.customer_id == BOB_ID and c.priority is CasePriority.URGENT
    }


@pytest.mark.parametrize("first", [0, -1, 101, 10**9])
async def test_page_size_must_be_1_to_100(store: InMemoryStore, first: int) -> None:
    reads = InMemoryReadStore(store)
    with pytest.raises(ValidationFailed) as info:
        await reads.list_cases(CaseFilter(), first=first, after=None)
    assert info.value.fields[0].field == "first"
    with pytest.raises(ValidationFailed):
        await reads.list_messages("c", include_internal=True, first=first, after=None)
    with pytest.raises(ValidationFailed):
        await reads.list_events("c", include_internal=True, first=first, after=None)
    with pytest.raises(ValidationFailed):
        await reads.list_refunds(RefundFilter(), first=first, after=None)


async def test_page_size_limits_are_inclusive(store: InMemoryStore) -> None:
    reads = InMemoryReadStore(store)
    for first in (1, 100):
        assert (await reads.list_cases(CaseFilter(), first=first, after=None)).items == []


def b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BAD_CURSORS = [
    "",
    "garbage",
    "!!!",
    "x" * 600,
    b64(["case", "not a date", "id"]),
    b64(["case", "2025-03-10T12:00:00", "id"]),  # naive
    b64(["case", "2025-03-10T12:00:00+00:00"]),
    b64(["refund", "2025-03-10T12:00:00+00:00", "id"]),  # another list's cursor
    b64({"case": 1}),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
async def test_bad_cursors_are_validation_errors(store: InMemoryStore, cursor: str) -> None:
    reads = InMemoryReadStore(store)
    with pytest.raises(ValidationFailed) as info:
        await reads.list_cases(CaseFilter(), first=10, after=cursor)
    assert info.value.fields[0].field == "after"


@pytest.mark.parametrize("cursor", ["", "abc", "-1", "1.5", " 1", "1" * 40, "١"])
async def test_bad_event_cursors(store: InMemoryStore, cursor: str) -> None:
    with pytest.raises(ValidationFailed):
        await InMemoryReadStore(store).list_events(
            "c", include_internal=True, first=5, after=cursor
        )


async def test_messages_oldest_first_and_internal_hidden(
    store: InMemoryStore, uow: InMemoryUnitOfWorkFactory
) -> None:
    case = await stored_case(uow, a_case())
    async with uow() as work:
        for i in range(7):
            message = Message(
                id=f"m{i}",
                case_id=case.id,
                author_id=AGENT.user_id,
                body=f"body {i}",
                internal=i % 3 == 1,
                created_at=NOW + timedelta(minutes=i // 2),
            )
            await work.messages.add(message)
        await work.commit()
    reads = InMemoryReadStore(store)
    page1 = await reads.list_messages(case.id, include_internal=True, first=4, after=None)
    page2 = await reads.list_messages(
        case.id, include_internal=True, first=4, after=page1.end_cursor
    )
    assert [m.id for m in page1.items + page2.items] == [f"m{i}" for i in range(7)]
    assert page1.has_next_page and not page2.has_next_page
    public = await reads.list_messages(case.id, include_internal=False, first=100, after=None)
    assert [m.id for m in public.items] == ["m0", "m2", "m3", "m5", "m6"]
    last = await reads.last_messages([case.id, "other"], include_internal=False)
    assert list(last) == [case.id] and last[case.id].id == "m6"
    internal_last = await reads.last_messages([case.id], include_internal=True)
    assert internal_last[case.id].id == "m6"
    assert (await reads.messages_by_ids(["m1", "nope"])).keys() == {"m1"}
    assert (await reads.get_message("m4")) is not None
    # Batched over a list of cases: the same pages as list_messages, per request.
    for include_internal in (True, False):
        every = await reads.list_messages(
            case.id, include_internal=include_internal, first=100, after=None
        )
        for first in range(1, 9):
            seen: list[str] = []
            after: str | None = None
            while True:
                request = MessagePageRequest(case.id, first, after, include_internal)
                empty = MessagePageRequest("other", first, None, include_internal)
                pages = await reads.message_pages_for_cases([request, empty])
                assert pages[empty].items == [] and not pages[empty].has_next_page
                seen += [m.id for m in pages[request].items]
                if not pages[request].has_next_page:
                    break
                after = pages[request].end_cursor
            assert seen == [m.id for m in every.items]


async def test_timeline_pages_by_sequence_and_hides_internal_events(
    store: InMemoryStore, uow: InMemoryUnitOfWorkFactory
) -> None:
    case = await stored_case(uow, a_case())
    other = await stored_case(uow, a_case())
    async with uow() as work:
        loaded = await work.cases.get(case.id)
        assert loaded is not None
        loaded.post_message("note", internal=True, author=AGENT, now=NOW)
        loaded.post_message("reply", internal=False, author=AGENT, now=NOW)
        loaded.set_priority(CasePriority.HIGH, actor=AGENT, now=NOW, rules=RULES)
        await work.cases.save(loaded)
        work.record(*loaded.pull_events())
        await work.commit()
    reads = InMemoryReadStore(store)
    everything = await reads.list_events(case.id, include_internal=True, first=100, after=None)
    assert [e.type for e in everything.items] == [
        CaseEventType.CASE_OPENED,
        CaseEventType.MESSAGE_POSTED,
        CaseEventType.MESSAGE_POSTED,
        CaseEventType.PRIORITY_CHANGED,
    ]
    assert everything.cursors == [str(e.sequence) for e in everything.items]
    assert other.id not in {e.case_id for e in everything.items}
    public = await reads.list_events(case.id, include_internal=False, first=100, after=None)
    assert [e.internal for e in public.items] == [False, False, False]
    page = await reads.list_events(case.id, include_internal=True, first=2, after=None)
    rest = await reads.list_events(case.id, include_internal=True, first=2, after=page.end_cursor)
    assert page.items + rest.items == everything.items
    assert page.has_next_page and not rest.has_next_page
    assert await reads.get_event(everything.items[1].id) == everything.items[1]
    # Batched over a list of cases: the same pages as list_events, per request.
    staff, customer = EventPageRequest(case.id, 2, None, True), EventPageRequest(case.id, 100)
    batched = await reads.event_pages_for_cases([staff, customer, EventPageRequest(other.id, 5)])
    assert batched[staff] == page and batched[customer] == public
    staff_rest = EventPageRequest(case.id, 2, page.end_cursor, True)
    assert (await reads.event_pages_for_cases([staff_rest]))[staff_rest] == rest


async def test_reads_return_copies(store: InMemoryStore, uow: InMemoryUnitOfWorkFactory) -> None:
    case = await stored_case(uow, a_case())
    reads = InMemoryReadStore(store)
    fetched = await reads.get_case(case.id)
    assert fetched is not None
    fetched.subject = "hacked"
    (await reads.cases_by_ids([case.id]))[case.id].subject = "hacked"
    (await reads.users_by_ids([ALICE_ID]))[ALICE_ID].name = "hacked"
    assert store.cases[case.id].subject == "Help"
    assert store.users[ALICE_ID].name != "hacked"


async def test_users_and_staff(store: InMemoryStore) -> None:
    reads = InMemoryReadStore(store)
    store.users["user-sam"].active = False
    staff = await reads.staff_users()
    assert [u.id for u in staff] == ["user-admin", "user-agent"]  # active staff, by name
    assert (await reads.users_by_ids([ALICE_ID, "nobody"])).keys() == {ALICE_ID}


async def test_refund_reads(store: InMemoryStore, uow: InMemoryUnitOfWorkFactory) -> None:
    refunds = [
        a_refund(100, RefundStatus.REQUESTED, at=NOW, case_id="c1", order_id="o1"),
        a_refund(200, RefundStatus.APPROVED, at=NOW + timedelta(hours=1), case_id="c1"),
        a_refund(300, RefundStatus.FAILED, at=NOW + timedelta(hours=2), case_id="c2"),
    ]
    async with uow() as work:
        for r in refunds:
            await work.refunds.add(r)
        await work.commit()
    reads = InMemoryReadStore(store)
    by_case = await reads.refunds_for_cases(["c1", "c2", "c3"])
    assert {k: [r.amount.amount for r in v] for k, v in by_case.items()} == {
        "c1": [100, 200],
        "c2": [300],
        "c3": [],
    }
    by_order = await reads.refunds_for_orders(["o1"])
    assert [r.amount.amount for r in by_order["o1"]] == [100]
    page = await reads.list_refunds(RefundFilter(), first=2, after=None)
    assert [r.amount.amount for r in page.items] == [300, 200] and page.has_next_page
    rest = await reads.list_refunds(RefundFilter(), first=2, after=page.end_cursor)
    assert [r.amount.amount for r in rest.items] == [100] and not rest.has_next_page
    failed = await reads.list_refunds(
        RefundFilter(statuses=(RefundStatus.FAILED,)), first=10, after=None
    )
    assert [r.amount.amount for r in failed.items] == [300]
    in_cases = await reads.list_refunds(RefundFilter(case_ids=("c2",)), first=10, after=None)
    assert [r.case_id for r in in_cases.items] == ["c2"]
    assert (await reads.get_refund(refunds[0].id)) == refunds[0]
    assert (await reads.refunds_by_ids([refunds[1].id])).keys() == {refunds[1].id}
    with pytest.raises(ValidationFailed):  # a case cursor is not a refund cursor
        case_page_cursor = b64(["case", NOW.isoformat(), "x"])
        await reads.list_refunds(RefundFilter(), first=2, after=case_page_cursor)

    # API 1.1: counts, and a page of refunds per case (oldest first) for a list of cases.
    assert await reads.count_refunds(RefundFilter()) == 3
    assert await reads.count_refunds(RefundFilter(statuses=(RefundStatus.FAILED,))) == 1
    assert await reads.count_refunds_for_cases(["c1", "c2", "c3"]) == {"c1": 2, "c2": 1, "c3": 0}
    first = [RefundPageRequest("c1", 1), RefundPageRequest("c3", 1)]
    pages = await reads.refund_pages_for_cases(first)
    assert [r.amount.amount for r in pages[first[0]].items] == [100]
    assert pages[first[0]].has_next_page and pages[first[1]].items == []
    more = RefundPageRequest("c1", 5, pages[first[0]].end_cursor)
    rest_of_c1 = (await reads.refund_pages_for_cases([more]))[more]
    assert [r.amount.amount for r in rest_of_c1.items] == [200] and not rest_of_c1.has_next_page


async def test_staff_pages(store: InMemoryStore) -> None:
    reads = InMemoryReadStore(store)
    everyone = [u.id for u in await reads.staff_users()]
    seen: list[str] = []
    after: str | None = None
    while True:
        page = await reads.list_staff(first=1, after=after)
        seen += [u.id for u in page.items]
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert seen == everyone and len(everyone) == 3


# -- event publisher ------------------------------------------------------------------------------


def an_event(n: int) -> CaseEvent:
    return CaseEvent(
        id=f"e{n}",
        case_id="c",
        type=CaseEventType.MESSAGE_POSTED,
        occurred_at=NOW,
        summary="x",
        sequence=n,
    )


async def test_publisher_fans_out_to_subscribers() -> None:
    publisher = InMemoryEventPublisher()
    one = publisher.subscribe()
    async with publisher.subscription() as two:
        assert publisher.subscriber_count == 2
        await publisher.publish([an_event(1), an_event(2)])
        await publisher.publish([])
        assert [one.get_nowait().id, one.get_nowait().id] == ["e1", "e2"]
        assert (await asyncio.wait_for(two.get(), 1)).id == "e1"
    assert publisher.subscriber_count == 1 and not publisher.is_subscribed(two)
    assert publisher.published == [[an_event(1), an_event(2)]]
    assert publisher.events == [an_event(1), an_event(2)]
    publisher.unsubscribe(one)
    await publisher.publish([an_event(3)])
    assert one.empty()


async def test_slow_subscriber_is_dropped_not_blocking() -> None:
    publisher = InMemoryEventPublisher()
    slow = publisher.subscribe(maxsize=1)
    fast = publisher.subscribe()
    await publisher.publish([an_event(1), an_event(2)])
    assert not publisher.is_subscribed(slow) and publisher.dropped == [slow]
    assert fast.qsize() == 2


# -- fake order system ----------------------------------------------------------------------------


async def test_fake_order_system() -> None:
    clock = FixedClock(NOW)
    orders = FakeOrderSystem(demo_orders(NOW), clock=clock)
    clock.advance(minutes=1)
    found = await orders.get_orders(["ord-alice-1", "nope", "ord-bob-1"])
    assert found.keys() == {"ord-alice-1", "ord-bob-1"}
    assert found["ord-alice-1"].as_of == clock.now() and not found["ord-alice-1"].stale
    assert orders.batches == [["ord-alice-1", "nope", "ord-bob-1"]]
    updated = orders.update("ord-alice-1", status=OrderStatus.CANCELLED)
    assert (await orders.get_orders(["ord-alice-1"]))["ord-alice-1"].status is updated.status
    orders.down = True
    with pytest.raises(OrderSystemUnavailable):
        await orders.get_orders(["ord-alice-1"])
    with pytest.raises(OrderSystemUnavailable):
        await orders.list_customer_orders("cust-alice", limit=5)
    assert orders.calls == {"get_orders": 3, "list_customer_orders": 1}
    assert orders.call_count == 4
    orders.reset_counters()
    assert orders.call_count == 0


async def test_fake_order_system_pages_newest_first() -> None:
    orders = FakeOrderSystem(demo_orders(NOW))
    everything = await orders.list_customer_orders("cust-alice", limit=100)
    placed = [o.placed_at for o in everything.orders]
    assert placed == sorted(placed, reverse=True) and everything.next_cursor is None
    page = await orders.list_customer_orders("cust-alice", limit=2)
    ids = [o.id for o in page.orders]
    while page.next_cursor is not None:
        page = await orders.list_customer_orders("cust-alice", limit=2, cursor=page.next_cursor)
        ids += [o.id for o in page.orders]
    assert ids == [o.id for o in everything.orders]
    assert (await orders.list_customer_orders("cust-nobody", limit=5)).orders == ()
    for limit in (0, 101):
        with pytest.raises(ValidationFailed):
            await orders.list_customer_orders("cust-alice", limit=limit)
    with pytest.raises(ValidationFailed):
        await orders.list_customer_orders("cust-alice", limit=5, cursor="garbage")


def test_unit_of_work_satisfies_the_port(store: InMemoryStore) -> None:
    from domain.ports import UnitOfWork, UnitOfWorkFactory

    factory: UnitOfWorkFactory = InMemoryUnitOfWorkFactory(store)
    work: UnitOfWork = factory()
    assert isinstance(work, InMemoryUnitOfWork)

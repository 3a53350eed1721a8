"""Repository round trips (every field, aware UTC datetimes, Money) and optimistic concurrency."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, replace
from datetime import UTC, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from adapters.sql.read_store import SqlReadStore
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.cases import CasePriority, CaseStatus, SupportCase
from domain.errors import ConcurrentUpdate
from domain.money import Money
from domain.refunds import Refund, RefundApproval, RefundLine, RefundReason, RefundStatus
from domain.users import Role, User

from .builders import CEST, T0, make_case, make_message, make_refund, make_user, uid


def _assert_all_utc(obj: object) -> None:
    for name, value in asdict(obj).items():  # type: ignore[call-overload]
        if hasattr(value, "tzinfo") and hasattr(value, "hour"):
            assert value.tzinfo is UTC, f"{name} came back as {value!r}"


async def _store(uow_factory: SqlUnitOfWorkFactory, *users: User) -> None:
    async with uow_factory() as uow:
        for user in users:
            await uow.users.add(user)
        await uow.commit()


async def test_user_round_trip_and_save(uow_factory: SqlUnitOfWorkFactory) -> None:
    user = make_user(Role.CUSTOMER, created_at=T0.astimezone(CEST))
    await _store(uow_factory, user)

    async with uow_factory() as uow:
        loaded = await uow.users.get(user.id)
        by_email = await uow.users.get_by_email(user.email)
        missing = await uow.users.get(uid())
    assert loaded == user
    assert by_email == user
    assert missing is None
    assert loaded is not None
    _assert_all_utc(loaded)

    changed = replace(
        user, name="Renamed", role=Role.AGENT, active=False, external_customer_id=None
    )
    async with uow_factory() as uow:
        await uow.users.save(changed)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.users.get(user.id) == changed


async def test_duplicate_email_is_refused(uow_factory: SqlUnitOfWorkFactory) -> None:
    user = make_user()
    await _store(uow_factory, user)
    with pytest.raises(IntegrityError):
        async with uow_factory() as uow:
            await uow.users.add(replace(user, id=uid()))
            await uow.commit()


async def test_case_round_trip_every_field(uow_factory: SqlUnitOfWorkFactory) -> None:
    customer, agent = make_user(), make_user(Role.AGENT)
    await _store(uow_factory, customer, agent)
    case = make_case(customer, order_id=f"ord-{uid()[:8]}")
    async with uow_factory() as uow:
        await uow.cases.add(case)
        await uow.commit()
    assert case.number is not None and case.number > 0
    assert case.events == []  # handed to the unit of work

    # Every optional field set, datetimes written in +02:00.
    case.assignee_id = agent.id
    case.status = CaseStatus.WAITING_ON_CUSTOMER
    case.priority = CasePriority.URGENT
    case.first_responded_at = (T0 + timedelta(minutes=5)).astimezone(CEST)
    case.resolved_at = (T0 + timedelta(hours=1)).astimezone(CEST)
    case.closed_at = T0 + timedelta(hours=2)
    case.paused_since = (T0 + timedelta(minutes=30)).astimezone(CEST)
    case.paused_seconds = 120
    case.updated_at = T0 + timedelta(hours=2)
    async with uow_factory() as uow:
        await uow.cases.save(case)
        await uow.commit()
    assert case.version == 1

    async with uow_factory() as uow:
        loaded = await uow.cases.get(case.id)
        locked = await uow.cases.get(case.id, for_update=True)
        assert await uow.cases.get(uid()) is None
    assert loaded == case
    assert locked == case
    assert loaded is not None
    _assert_all_utc(loaded)
    assert loaded.display_number == f"CS-{case.number:06d}"


async def test_case_numbers_are_unique_under_concurrency(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    customer = make_user()
    await _store(uow_factory, customer)

    async def open_one() -> SupportCase:
        case = make_case(customer)
        async with uow_factory() as uow:
            await uow.cases.add(case)
            await asyncio.sleep(0.002)
            await uow.commit()
        return case

    cases = await asyncio.gather(*(open_one() for _ in range(10)))
    numbers = [c.number for c in cases]
    assert len(set(numbers)) == 10

    # A rolled-back opening stores nothing.
    case = make_case(customer)
    async with uow_factory() as uow:
        await uow.cases.add(case)
    async with uow_factory() as uow:
        assert await uow.cases.get(case.id) is None


async def test_message_is_stored(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    customer = make_user()
    await _store(uow_factory, customer)
    case = make_case(customer)
    message = make_message(case, customer, internal=True, body="Line one\n\tLine two")
    async with uow_factory() as uow:
        await uow.cases.add(case)
        await uow.messages.add(message)
        await uow.commit()
    loaded = await read_store.get_message(message.id)
    assert loaded == message


async def test_refund_round_trip_counts_and_list(uow_factory: SqlUnitOfWorkFactory) -> None:
    customer, agent = make_user(), make_user(Role.ADMIN)
    await _store(uow_factory, customer, agent)
    order_id = f"ord-{uid()[:8]}"
    case = make_case(customer, order_id=order_id)
    refund = Refund(
        id=uid(),
        case_id=case.id,
        order_id=order_id,
        customer_id=customer.id,
        amount=Money(12_345, "JPY"),
        reason=RefundReason.OTHER,
        status=RefundStatus.FAILED,
        created_at=T0.astimezone(CEST),
        updated_at=T0 + timedelta(days=1),
        requested_by_id=agent.id,
        note="Customer called in",
        lines=(RefundLine("line-a", 2), RefundLine("line-b", 1)),
        include_shipping=True,
        approval=RefundApproval.ADMIN,
        decided_by_id=agent.id,
        decision_note="Goodwill",
        decided_at=T0 + timedelta(hours=3),
        failure_reason="card_expired",
    )
    async with uow_factory() as uow:
        await uow.cases.add(case)
        await uow.refunds.add(refund)
        await uow.commit()

    async with uow_factory() as uow:
        loaded = await uow.refunds.get(refund.id)
        locked = await uow.refunds.get(refund.id, for_update=True)
        assert await uow.refunds.get(uid()) is None
    assert loaded == refund
    assert locked == refund
    assert loaded is not None
    assert loaded.amount == Money(12_345, "JPY")
    _assert_all_utc(loaded)

    # More refunds of the same customer, for the counting queries.
    old = make_refund(case, status=RefundStatus.SUCCEEDED, now=T0 - timedelta(days=100))
    old_decided_recently = make_refund(
        case,
        status=RefundStatus.APPROVED,
        now=T0 - timedelta(days=100),
        decided_at=T0 - timedelta(days=1),
    )
    recent_requested = make_refund(case, now=T0 - timedelta(hours=1))
    recent_processing = make_refund(
        case, status=RefundStatus.PROCESSING, now=T0 - timedelta(hours=2)
    )
    recent_rejected = make_refund(case, status=RefundStatus.REJECTED, now=T0 - timedelta(hours=3))
    async with uow_factory() as uow:
        for r in (old, old_decided_recently, recent_requested, recent_processing, recent_rejected):
            await uow.refunds.add(r)
        await uow.commit()

    since = T0 - timedelta(days=2)
    async with uow_factory() as uow:
        requested = await uow.refunds.count_requested_since(customer.id, since)
        granted = await uow.refunds.count_granted_since(customer.id, since)
        other = await uow.refunds.count_requested_since(agent.id, since)
        listed = await uow.refunds.list_for_order(order_id)
    # Filed since: the round-trip refund, recent_requested, recent_processing, recent_rejected.
    assert requested == 4
    # Granted since: old_decided_recently (decided in the window), recent_processing.
    # The FAILED one was decided in the window but is not granted; `old` was decided long ago.
    assert granted == 2
    assert other == 0
    assert {r.id for r in listed} == {
        refund.id,
        old.id,
        old_decided_recently.id,
        recent_requested.id,
        recent_processing.id,
        recent_rejected.id,
    }
    assert [r.created_at for r in listed] == sorted(r.created_at for r in listed)


async def test_optimistic_concurrency_stale_save_is_refused(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    """Two readers of version 0: the first save wins, the second gets ConcurrentUpdate."""
    customer = make_user()
    await _store(uow_factory, customer)
    case = make_case(customer)
    refund = make_refund(case)
    async with uow_factory() as uow:
        await uow.cases.add(case)
        await uow.refunds.add(refund)
        await uow.commit()

    async with uow_factory() as uow:
        first_case = await uow.cases.get(case.id)
        first_refund = await uow.refunds.get(refund.id)
    async with uow_factory() as uow:
        second_case = await uow.cases.get(case.id)
        second_refund = await uow.refunds.get(refund.id)
    assert first_case and second_case and first_refund and second_refund

    first_case.priority = CasePriority.HIGH
    first_refund.status = RefundStatus.CANCELLED
    async with uow_factory() as uow:
        await uow.cases.save(first_case)
        await uow.refunds.save(first_refund)
        await uow.commit()
    assert first_case.version == 1 and first_refund.version == 1

    second_case.priority = CasePriority.LOW
    second_refund.status = RefundStatus.APPROVED
    async with uow_factory() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.cases.save(second_case)
    async with uow_factory() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.refunds.save(second_refund)
    assert second_case.version == 0

    async with uow_factory() as uow:
        stored = await uow.cases.get(case.id)
        stored_refund = await uow.refunds.get(refund.id)
    assert stored and stored.priority is CasePriority.HIGH and stored.version == 1
    assert stored_refund and stored_refund.status is RefundStatus.CANCELLED


async def test_overlapping_write_transactions(
    uow_factory: SqlUnitOfWorkFactory, backend: str
) -> None:
    """Two write transactions open at once.

    PostgreSQL: both read version 0; the loser's UPDATE waits for the winner's row lock, then
    finds the version moved on: ConcurrentUpdate.
    SQLite: BEGIN IMMEDIATE queues the second transaction until the first ends, so it reads the
    winner's version and its save succeeds (no lost update either way)."""
    customer = make_user()
    await _store(uow_factory, customer)
    case = make_case(customer)
    async with uow_factory() as uow:
        await uow.cases.add(case)
        await uow.commit()

    async with uow_factory() as one, uow_factory() as two:
        a = await one.cases.get(case.id)
        assert a is not None
        reader = asyncio.create_task(two.cases.get(case.id))
        a.priority = CasePriority.URGENT
        await one.cases.save(a)
        if backend == "postgresql":
            b = await reader
            assert b is not None and b.version == 0
            b.priority = CasePriority.LOW
            loser = asyncio.create_task(two.cases.save(b))
            await asyncio.sleep(0.05)
            assert not loser.done()  # waiting for the winner's row lock
            await one.commit()
            with pytest.raises(ConcurrentUpdate):
                await loser
        else:
            await asyncio.sleep(0.05)
            assert not reader.done()  # queued behind the first writer
            await one.commit()
            b = await reader
            assert b is not None and b.version == 1 and b.priority is CasePriority.URGENT
            b.priority = CasePriority.LOW
            await two.cases.save(b)
            await two.commit()

    async with uow_factory() as uow:
        stored = await uow.cases.get(case.id)
    expected = CasePriority.URGENT if backend == "postgresql" else CasePriority.LOW
    assert stored is not None and stored.priority is expected

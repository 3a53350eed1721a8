"""The refund ledger: the database refuses to reserve more than an order's total, under any
concurrency (guarded conditional UPDATE, CHECK constraint as the second line of defence)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from adapters.sql.repositories import SqlRefundLedger
from adapters.sql.tables import refund_ledger
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.money import CurrencyMismatch, Money

from .builders import uid

TOTAL = Money(10_000, "USD")


def usd(amount: int) -> Money:
    return Money(amount, "USD")


async def _reserved(uow_factory: SqlUnitOfWorkFactory, order_id: str) -> int | None:
    async with uow_factory() as uow:
        money = await SqlRefundLedger(uow.session).reserved(order_id)
    return money.amount if money is not None else None


async def test_reserve_within_and_over_the_total_then_release(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    order_id = f"ord-{uid()}"
    async with uow_factory() as uow:
        assert await uow.ledger.reserve(order_id, TOTAL, usd(4_000))
        assert await uow.ledger.reserve(order_id, TOTAL, usd(6_000))  # exactly the total
        assert not await uow.ledger.reserve(order_id, TOTAL, usd(1))  # one cent too many
        await uow.commit()
    assert await _reserved(uow_factory, order_id) == 10_000

    async with uow_factory() as uow:
        await uow.ledger.release(order_id, usd(3_000))
        assert not await uow.ledger.reserve(order_id, TOTAL, usd(3_001))
        assert await uow.ledger.reserve(order_id, TOTAL, usd(3_000))
        await uow.ledger.release(order_id, usd(2_500))
        await uow.commit()
    assert await _reserved(uow_factory, order_id) == 7_500

    async with uow_factory() as uow:
        await uow.ledger.release(order_id, usd(99_999))  # never below zero
        await uow.ledger.release(f"ord-{uid()}", usd(5))  # unknown order: nothing to release
        await uow.commit()
    assert await _reserved(uow_factory, order_id) == 0


async def test_first_reservation_larger_than_total_is_refused(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    order_id = f"ord-{uid()}"
    async with uow_factory() as uow:
        assert not await uow.ledger.reserve(order_id, TOTAL, usd(10_001))
        await uow.commit()
    assert await _reserved(uow_factory, order_id) == 0


async def test_uncommitted_reservation_is_rolled_back(uow_factory: SqlUnitOfWorkFactory) -> None:
    order_id = f"ord-{uid()}"
    async with uow_factory() as uow:
        assert await uow.ledger.reserve(order_id, TOTAL, usd(9_000))
    assert await _reserved(uow_factory, order_id) is None


async def test_wrong_currency_or_amount_is_refused(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        with pytest.raises(CurrencyMismatch):
            await uow.ledger.reserve(f"ord-{uid()}", TOTAL, Money(100, "EUR"))
        with pytest.raises(ValueError):
            await uow.ledger.reserve(f"ord-{uid()}", TOTAL, usd(0))


async def test_check_constraint_rejects_a_direct_overshoot(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    order_id = f"ord-{uid()}"
    async with uow_factory() as uow:
        assert await uow.ledger.reserve(order_id, TOTAL, usd(9_000))
        await uow.commit()
    for sql in (
        "UPDATE refund_ledger SET reserved_minor = reserved_minor + 1001 WHERE order_id = :id",
        "UPDATE refund_ledger SET reserved_minor = -1 WHERE order_id = :id",
    ):
        with pytest.raises(IntegrityError):
            async with uow_factory() as uow:
                await uow.session.execute(text(sql), {"id": order_id})
                await uow.commit()
    assert await _reserved(uow_factory, order_id) == 9_000


@pytest.mark.slow
async def test_concurrent_reservations_never_exceed_the_total(
    uow_factory: SqlUnitOfWorkFactory, backend: str
) -> None:
    """20 transactions race to reserve 7.00 of a 100.00 order: exactly 14 win, every round."""
    attempts, amount = 20, usd(700)
    expected_winners = TOTAL.amount // amount.amount
    for _round in range(5):
        order_id = f"ord-{uid()}"
        # PostgreSQL: every transaction is open before anyone reserves (maximum overlap).
        # SQLite: a transaction holds the write lock from BEGIN IMMEDIATE, so they queue instead.
        barrier = asyncio.Barrier(attempts) if backend == "postgresql" else None

        async def attempt(
            order_id: str = order_id, barrier: asyncio.Barrier | None = barrier
        ) -> bool:
            async with uow_factory() as uow:
                if barrier is not None:
                    await uow.session.execute(text("SELECT 1"))
                    await barrier.wait()
                won = await uow.ledger.reserve(order_id, TOTAL, amount)
                await asyncio.sleep(0.002)  # hold the lock a little: let the others pile up
                await uow.commit()
                return won

        results = await asyncio.gather(*(attempt() for _ in range(attempts)))
        assert sum(results) == expected_winners
        async with uow_factory() as uow:
            row = (
                await uow.session.execute(
                    select(refund_ledger.c.reserved_minor, refund_ledger.c.total_minor).where(
                        refund_ledger.c.order_id == order_id
                    )
                )
            ).one()
        assert row.reserved_minor == expected_winners * amount.amount
        assert row.reserved_minor <= row.total_minor

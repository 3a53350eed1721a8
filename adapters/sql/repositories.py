"""The repositories of domain.ports over one AsyncSession (the unit of work's transaction).

All statements are Core statements on the tables of `adapters.sql.tables`: no ORM identity map, so
what a repository returns is exactly what the database holds.

Aggregates (cases, refunds) carry the events of their changes; `add()` and `save()` hand them to
the unit of work (`collect_events`), which appends them to the case event log on commit. Use cases
call `uow.record()` only for events that belong to no aggregate (order updates, SLA breaches).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql import mappers, tables
from adapters.sql.tables import (
    case_number_counter,
    refresh_tokens,
    refund_ledger,
    refunds,
    support_cases,
    users,
)
from adapters.sql.versioned import VersionedRepository
from domain.auth import RefreshToken
from domain.cases import Message, SupportCase
from domain.errors import ConcurrentUpdate
from domain.events import CaseEvent
from domain.money import CurrencyMismatch, Money
from domain.refunds import Refund, RefundStatus
from domain.users import User

EventSink = Callable[[Sequence[CaseEvent]], None]


def _dialect_name(session: AsyncSession) -> str:
    bind = session.bind
    if bind is None:  # pragma: no cover - sessions always come from a bound factory
        raise RuntimeError("the session has no engine bound")
    return bind.dialect.name


def _insert_ignoring_conflicts(session: AsyncSession, table: Any, values: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING, in the dialect of the session."""
    if _dialect_name(session) == "postgresql":
        return pg_dialect.insert(table).values(**values).on_conflict_do_nothing()
    return sqlite_dialect.insert(table).values(**values).on_conflict_do_nothing()


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: str) -> User | None:
        row = (
            (await self._session.execute(select(users).where(users.c.id == user_id)))
            .mappings()
            .first()
        )
        return mappers.user_from_row(row) if row is not None else None

    async def get_by_email(self, email: str) -> User | None:
        stmt = select(users).where(users.c.email == email)
        row = (await self._session.execute(stmt)).mappings().first()
        return mappers.user_from_row(row) if row is not None else None

    async def add(self, user: User) -> None:
        await self._session.execute(insert(users).values(**mappers.user_values(user)))

    async def save(self, user: User) -> None:
        values = mappers.user_values(user)
        del values["id"], values["created_at"]
        result = await self._session.execute(
            update(users).where(users.c.id == user.id).values(**values)
        )
        if _rowcount(result) != 1:
            raise ConcurrentUpdate("user")


class SqlCaseRepository(VersionedRepository[SupportCase]):
    """Stored cases hand their events to the unit of work (`collect_events`)."""

    def __init__(self, session: AsyncSession, collect_events: EventSink) -> None:
        super().__init__(
            session,
            table=support_cases,
            what="case",
            to_values=mappers.case_values,
            from_row=mappers.case_from_row,
            mutable=mappers.CASE_MUTABLE,
            on_stored=lambda case: collect_events(case.pull_events()),
        )

    async def add(self, case: SupportCase) -> None:
        case.number = await self._next_number()
        await super().add(case)

    async def ids_for_order(self, order_id: str) -> list[str]:
        stmt = (
            select(support_cases.c.id)
            .where(support_cases.c.order_id == order_id)
            .order_by(support_cases.c.created_at, support_cases.c.id)
        )
        return [str(row[0]) for row in await self._session.execute(stmt)]

    async def _next_number(self) -> int:
        """The next human number: UPDATE ... RETURNING on the one-row counter.

        The row lock (PostgreSQL) / the write lock (SQLite) serialises concurrent openings until
        their transactions end, so two cases never get the same number; a rolled-back opening
        gives its number back."""
        bump = (
            update(case_number_counter)
            .where(case_number_counter.c.id == 1)
            .values(value=case_number_counter.c.value + 1)
            .returning(case_number_counter.c.value)
        )
        number = (await self._session.execute(bump)).scalar_one_or_none()
        if number is None:
            # Databases created without the migration's seed row (e.g. metadata.create_all).
            await self._session.execute(
                _insert_ignoring_conflicts(
                    self._session, case_number_counter, {"id": 1, "value": 0}
                )
            )
            number = (await self._session.execute(bump)).scalar_one()
        return int(number)


class SqlMessageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, message: Message) -> None:
        await self._session.execute(
            insert(tables.messages).values(**mappers.message_values(message))
        )


# Refunds that count as granted for the approval policy: approved by someone, or paid.
_GRANTED = (RefundStatus.APPROVED, RefundStatus.PROCESSING, RefundStatus.SUCCEEDED)


class SqlRefundRepository(VersionedRepository[Refund]):
    """Stored refunds hand their events to the unit of work (`collect_events`)."""

    def __init__(self, session: AsyncSession, collect_events: EventSink) -> None:
        super().__init__(
            session,
            table=refunds,
            what="refund",
            to_values=mappers.refund_values,
            from_row=mappers.refund_from_row,
            mutable=mappers.REFUND_MUTABLE,
            on_stored=lambda refund: collect_events(refund.pull_events()),
        )

    async def list_for_order(self, order_id: str) -> list[Refund]:
        stmt = (
            select(refunds)
            .where(refunds.c.order_id == order_id)
            .order_by(refunds.c.created_at, refunds.c.id)
        )
        rows = (await self._session.execute(stmt)).mappings().all()
        return [mappers.refund_from_row(row) for row in rows]

    async def count_requested_since(self, customer_id: str, since: datetime) -> int:
        # The daily limit is a guard: lock the customer's row until the transaction ends, so that
        # concurrent requests of one customer count each other (without it, N concurrent requests
        # on N orders all saw the same count and all passed). FOR NO KEY UPDATE: rows that merely
        # reference the user (KEY SHARE) are not held up. SQLite: BEGIN IMMEDIATE serialises.
        await self._session.execute(
            select(users.c.id).where(users.c.id == customer_id).with_for_update(key_share=True)
        )
        stmt = (
            select(func.count())
            .select_from(refunds)
            .where(refunds.c.customer_id == customer_id, refunds.c.created_at >= since)
        )
        return int((await self._session.execute(stmt)).scalar_one())

    async def count_granted_since(self, customer_id: str, since: datetime) -> int:
        stmt = (
            select(func.count())
            .select_from(refunds)
            .where(
                refunds.c.customer_id == customer_id,
                refunds.c.status.in_([s.value for s in _GRANTED]),
                or_(
                    refunds.c.decided_at >= since,
                    and_(refunds.c.decided_at.is_(None), refunds.c.created_at >= since),
                ),
            )
        )
        return int((await self._session.execute(stmt)).scalar_one())


class SqlRefundLedger:
    """The over-refund guard, in the database: a conditional UPDATE plus a CHECK constraint."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def reserve(self, order_id: str, order_total: Money, amount: Money) -> bool:
        if amount.currency != order_total.currency:
            raise CurrencyMismatch(f"{amount.currency} and {order_total.currency}")
        if amount.amount <= 0:
            raise ValueError("a reservation must be a positive amount")
        if order_total.amount < 0:
            raise ValueError("an order total cannot be negative")
        # The first reservation of an order creates its row; the order's total is fixed then.
        await self._session.execute(
            _insert_ignoring_conflicts(
                self._session,
                refund_ledger,
                {
                    "order_id": order_id,
                    "currency": order_total.currency,
                    "total_minor": order_total.amount,
                    "reserved_minor": 0,
                },
            )
        )
        # Guarded: PostgreSQL re-checks the condition on the latest row version after waiting for
        # a concurrent holder's lock, so two reservations can never pass on the same headroom.
        result = await self._session.execute(
            update(refund_ledger)
            .where(
                refund_ledger.c.order_id == order_id,
                refund_ledger.c.currency == amount.currency,
                refund_ledger.c.reserved_minor + amount.amount <= refund_ledger.c.total_minor,
            )
            .values(reserved_minor=refund_ledger.c.reserved_minor + amount.amount)
        )
        return _rowcount(result) == 1

    async def release(self, order_id: str, amount: Money) -> None:
        if amount.amount <= 0:
            raise ValueError("a release must be a positive amount")
        reserved = refund_ledger.c.reserved_minor
        await self._session.execute(
            update(refund_ledger)
            .where(
                refund_ledger.c.order_id == order_id, refund_ledger.c.currency == amount.currency
            )
            .values(
                reserved_minor=case(
                    (reserved >= amount.amount, reserved - amount.amount),
                    else_=0,
                )
            )
        )

    async def reserved(self, order_id: str) -> Money | None:
        """The order's reserved sum (None before its first reservation). Not part of the port."""
        stmt = select(refund_ledger.c.reserved_minor, refund_ledger.c.currency).where(
            refund_ledger.c.order_id == order_id
        )
        row = (await self._session.execute(stmt)).first()
        return Money(int(row[0]), row[1]) if row is not None else None


class SqlRefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, token: RefreshToken) -> None:
        await self._session.execute(
            insert(refresh_tokens).values(**mappers.refresh_token_values(token))
        )

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        stmt = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
        row = (await self._session.execute(stmt)).mappings().first()
        return mappers.refresh_token_from_row(row) if row is not None else None

    async def mark_used(self, token: RefreshToken, now: datetime) -> bool:
        result = await self._session.execute(
            update(refresh_tokens)
            .where(
                refresh_tokens.c.id == token.id,
                refresh_tokens.c.used_at.is_(None),
                refresh_tokens.c.revoked_at.is_(None),
            )
            .values(used_at=now)
        )
        won = _rowcount(result) == 1
        if won:
            token.used_at = now
        return won

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        await self._session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_user(self, user_id: str, now: datetime) -> None:
        await self._session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def family_active(self, family_id: str) -> bool:
        """True while the family has a token that was never revoked (logout revokes them all)
        and its user is active (deactivation also revokes them; this covers a login that raced
        it)."""
        stmt = (
            select(refresh_tokens.c.id)
            .join(users, users.c.id == refresh_tokens.c.user_id)
            .where(
                refresh_tokens.c.family_id == family_id,
                refresh_tokens.c.revoked_at.is_(None),
                users.c.active.is_(True),
            )
            .limit(1)
        )
        return (await self._session.execute(stmt)).first() is not None

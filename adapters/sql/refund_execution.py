"""SQL adapters of refund execution: the refund outbox and mutation idempotency keys.

Claiming (domain.ports.RefundJobRepository.claim):
- PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED` picks the oldest due job that no other claimer
  is looking at, then a guarded UPDATE leases it (RETURNING the row). Concurrent workers never
  wait for each other and never get the same row.
- SQLite: the same statements; FOR UPDATE compiles away and BEGIN IMMEDIATE serialises writers,
  and the UPDATE repeats the claimability condition, so even without that serialisation a row
  leased by someone else in the meantime would simply not be updated (rowcount 0).

Every other change is a guarded conditional UPDATE (status, and the lease owner where it
matters), so a worker whose lease expired cannot overwrite what its successor recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.rows import from_row, row_values
from adapters.sql.tables_refund_execution import idempotency_keys, refund_jobs
from domain.idempotency import IdempotencyRecord
from domain.money import Money
from domain.refund_jobs import RefundJob, RefundJobStatus, RefundQueueDepths

_PENDING = RefundJobStatus.PENDING.value


def job_values(job: RefundJob) -> dict[str, Any]:
    return row_values(
        refund_jobs, job, amount_minor=job.amount.amount, currency=job.amount.currency
    )


def job_from_row(row: Mapping[Any, Any]) -> RefundJob:
    return from_row(
        RefundJob,
        row,
        status=RefundJobStatus(row["status"]),
        amount=Money(int(row["amount_minor"]), row["currency"]),
    )


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def _is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


class SqlRefundJobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _key(job: RefundJob) -> Any:
        return and_(refund_jobs.c.refund_id == job.refund_id, refund_jobs.c.attempt == job.attempt)

    async def enqueue(self, job: RefundJob) -> None:
        await self._session.execute(insert(refund_jobs).values(**job_values(job)))

    async def get(self, refund_id: str, attempt: int) -> RefundJob | None:
        stmt = select(refund_jobs).where(
            refund_jobs.c.refund_id == refund_id, refund_jobs.c.attempt == attempt
        )
        row = (await self._session.execute(stmt)).mappings().first()
        return job_from_row(row) if row is not None else None

    async def list_for_refund(self, refund_id: str) -> list[RefundJob]:
        stmt = (
            select(refund_jobs)
            .where(refund_jobs.c.refund_id == refund_id)
            .order_by(refund_jobs.c.attempt)
        )
        return [job_from_row(row) for row in (await self._session.execute(stmt)).mappings()]

    async def claim(self, *, owner: str, now: datetime, lease_seconds: float) -> RefundJob | None:
        c = refund_jobs.c
        claimable = and_(
            c.status == _PENDING,
            c.run_after <= now,
            or_(c.lease_until.is_(None), c.lease_until < now),
        )
        candidate = (
            select(c.refund_id, c.attempt)
            .where(claimable)
            .order_by(c.run_after, c.created_at, c.refund_id, c.attempt)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        picked = (await self._session.execute(candidate)).first()
        if picked is None:
            return None
        stmt = (
            update(refund_jobs)
            .where(c.refund_id == picked.refund_id, c.attempt == picked.attempt, claimable)
            .values(
                lease_owner=owner,
                lease_until=now + timedelta(seconds=lease_seconds),
                claims=c.claims + 1,
                first_claimed_at=func.coalesce(c.first_claimed_at, now),
                updated_at=now,
            )
            .returning(*refund_jobs.c)
        )
        row = (await self._session.execute(stmt)).mappings().first()
        return job_from_row(row) if row is not None else None

    async def complete(self, job: RefundJob, *, now: datetime) -> bool:
        c = refund_jobs.c
        result = await self._session.execute(
            update(refund_jobs)
            .where(self._key(job), c.status == _PENDING)
            .values(
                status=RefundJobStatus.DONE.value,
                lease_owner=None,
                lease_until=None,
                finished_at=now,
                updated_at=now,
            )
        )
        return _rowcount(result) == 1

    async def reschedule(
        self, job: RefundJob, *, owner: str, run_after: datetime, error: str, now: datetime
    ) -> bool:
        c = refund_jobs.c
        result = await self._session.execute(
            update(refund_jobs)
            .where(self._key(job), c.status == _PENDING, c.lease_owner == owner)
            .values(
                tries=c.tries + 1,
                run_after=run_after,
                lease_owner=None,
                lease_until=None,
                last_error=error,
                updated_at=now,
            )
        )
        return _rowcount(result) == 1

    async def mark_dead(
        self, job: RefundJob, *, owner: str | None, error: str, now: datetime
    ) -> bool:
        c = refund_jobs.c
        stmt = update(refund_jobs).where(self._key(job), c.status == _PENDING)
        if owner is not None:
            stmt = stmt.where(c.lease_owner == owner)
        result = await self._session.execute(
            stmt.values(
                status=RefundJobStatus.DEAD.value,
                lease_owner=None,
                lease_until=None,
                last_error=error,
                finished_at=now,
                updated_at=now,
            )
        )
        return _rowcount(result) == 1

    async def release(self, job: RefundJob, *, owner: str, now: datetime) -> bool:
        c = refund_jobs.c
        result = await self._session.execute(
            update(refund_jobs)
            .where(self._key(job), c.status == _PENDING, c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None, updated_at=now)
        )
        return _rowcount(result) == 1

    async def list_dead(
        self, *, limit: int, after: tuple[str, int] | None = None
    ) -> list[RefundJob]:
        c = refund_jobs.c
        stmt = select(refund_jobs).where(c.status == RefundJobStatus.DEAD.value)
        if after is not None:
            stmt = stmt.where(tuple_(c.refund_id, c.attempt) > tuple_(*after))
        stmt = stmt.order_by(c.refund_id, c.attempt).limit(limit)
        return [job_from_row(row) for row in (await self._session.execute(stmt)).mappings()]

    async def requeue_dead(self, job: RefundJob, *, now: datetime) -> bool:
        c = refund_jobs.c
        result = await self._session.execute(
            update(refund_jobs)
            .where(self._key(job), c.status == RefundJobStatus.DEAD.value)
            .values(
                status=_PENDING,
                run_after=now,
                tries=0,
                first_claimed_at=None,
                finished_at=None,
                lease_owner=None,
                lease_until=None,
                updated_at=now,
            )
        )
        return _rowcount(result) == 1

    async def depths(self, now: datetime) -> RefundQueueDepths:
        c = refund_jobs.c
        pending = c.status == _PENDING

        def count(condition: Any) -> Any:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        stmt = select(
            count(pending).label("pending"),
            count(
                and_(pending, c.run_after <= now, or_(c.lease_until.is_(None), c.lease_until < now))
            ).label("due"),
            count(and_(pending, c.lease_until >= now)).label("leased"),
            count(c.status == RefundJobStatus.DEAD.value).label("dead"),
            count(c.status == RefundJobStatus.DONE.value).label("done"),
        )
        row = (await self._session.execute(stmt)).mappings().one()
        oldest_stmt = select(func.min(c.created_at)).where(pending)  # keeps the column's type
        oldest = (await self._session.execute(oldest_stmt)).scalar_one_or_none()
        return RefundQueueDepths(
            pending=int(row["pending"]),
            due=int(row["due"]),
            leased=int(row["leased"]),
            dead=int(row["dead"]),
            done=int(row["done"]),
            oldest_pending_created_at=oldest,
        )


def _record_from_row(row: Mapping[Any, Any]) -> IdempotencyRecord:
    return from_row(IdempotencyRecord, row, key=row["idempotency_key"])


class SqlIdempotencyKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, scope: str, operation: str, key: str) -> IdempotencyRecord | None:
        k = idempotency_keys.c
        stmt = select(idempotency_keys).where(
            k.scope == scope, k.operation == operation, k.idempotency_key == key
        )
        row = (await self._session.execute(stmt)).mappings().first()
        return _record_from_row(row) if row is not None else None

    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        values = row_values(idempotency_keys, record, idempotency_key=record.key)
        # PostgreSQL: an INSERT that meets the same key uncommitted in another transaction
        # waits for it; ON CONFLICT DO NOTHING then leaves the committed row, which the next
        # statement (a new snapshot under READ COMMITTED) reads.
        dialect = pg_dialect if _is_postgres(self._session) else sqlite_dialect
        stmt = (
            dialect.insert(idempotency_keys)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(idempotency_keys.c.scope)
        )
        inserted = (await self._session.execute(stmt)).first()
        if inserted is not None:
            return None
        existing = await self.get(record.scope, record.operation, record.key)
        if existing is None:  # pragma: no cover - the conflicting row cannot vanish
            raise RuntimeError("idempotency key conflict without a stored key")
        return existing

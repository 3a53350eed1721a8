"""In-process refund outbox and idempotency keys, with the semantics of the SQL adapters.

- Rows are changed in the unit's own snapshots and applied at commit; a job row is locked (the
  unit's row lock `refund-job:<id>`) by whoever changes it, until the unit ends, like
  `UPDATE ... WHERE` in PostgreSQL.
- `claim` skips jobs whose row another unit holds (FOR UPDATE SKIP LOCKED) and re-checks the
  claimability condition once it holds the row (the guarded UPDATE).
- `idempotency_keys.claim` locks the key for the unit's lifetime: a second unit with the same key
  waits for the first to end, then sees its committed record (INSERT ... ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from adapters.memory.store import InMemoryStore
from domain.idempotency import IdempotencyRecord
from domain.refund_jobs import RefundJob, RefundJobStatus, RefundQueueDepths, idempotency_key

if TYPE_CHECKING:
    from adapters.memory.uow import InMemoryUnitOfWork

IdempotencyKey = tuple[str, str, str]


class DuplicateJob(ValueError):
    """A job for this (refund, attempt) exists already (the primary key, in a database)."""


class InMemoryRefundJobRepository:
    def __init__(self, unit: InMemoryUnitOfWork, store: InMemoryStore) -> None:
        self._unit = unit
        self._store = store
        self._written: dict[str, RefundJob] = {}

    def _current(self, job_id: str) -> RefundJob | None:
        row = self._written.get(job_id)
        return row if row is not None else self._store.refund_jobs.get(job_id)

    def _rows(self) -> list[RefundJob]:
        rows = {**self._store.refund_jobs, **self._written}
        return list(rows.values())

    async def _lock(self, job_id: str) -> None:
        await self._unit.lock(f"refund-job:{job_id}")

    def _write(self, job: RefundJob) -> RefundJob:
        self._written[job.id] = job
        return copy.deepcopy(job)

    async def enqueue(self, job: RefundJob) -> None:
        await self._lock(job.id)
        if self._current(job.id) is not None:
            raise DuplicateJob(f"refund job {job.id} already exists")
        self._write(copy.deepcopy(job))

    async def get(self, refund_id: str, attempt: int) -> RefundJob | None:
        row = self._current(idempotency_key(refund_id, attempt))
        return copy.deepcopy(row) if row is not None else None

    async def list_for_refund(self, refund_id: str) -> list[RefundJob]:
        rows = sorted((r for r in self._rows() if r.refund_id == refund_id), key=_by_attempt)
        return [copy.deepcopy(r) for r in rows]

    async def claim(self, *, owner: str, now: datetime, lease_seconds: float) -> RefundJob | None:
        due = sorted(
            (r for r in self._rows() if r.claimable(now)),
            key=lambda r: (r.run_after, r.created_at, r.refund_id, r.attempt),
        )
        for row in due:
            key = f"refund-job:{row.id}"
            if self._store.lock(key).locked() and not self._unit.holds(key):
                continue  # SKIP LOCKED
            await self._unit.lock(key)
            current = self._current(row.id)
            if current is None or not current.claimable(now):
                continue
            return self._write(
                dataclasses.replace(
                    current,
                    lease_owner=owner,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    claims=current.claims + 1,
                    first_claimed_at=current.first_claimed_at or now,
                    updated_at=now,
                )
            )
        return None

    async def _change(
        self, job: RefundJob, owner: str | None, change: Callable[[RefundJob], RefundJob]
    ) -> bool:
        """The guarded UPDATE: only a PENDING job (held by `owner`, when given) changes."""
        await self._lock(job.id)
        current = self._current(job.id)
        if current is None or current.status is not RefundJobStatus.PENDING:
            return False
        if owner is not None and current.lease_owner != owner:
            return False
        self._write(change(copy.deepcopy(current)))
        return True

    async def complete(self, job: RefundJob, *, now: datetime) -> bool:
        return await self._change(
            job,
            None,
            lambda j: _released(j, now, status=RefundJobStatus.DONE, finished_at=now),
        )

    async def reschedule(
        self, job: RefundJob, *, owner: str, run_after: datetime, error: str, now: datetime
    ) -> bool:
        return await self._change(
            job,
            owner,
            lambda j: _released(j, now, tries=j.tries + 1, run_after=run_after, last_error=error),
        )

    async def mark_dead(
        self, job: RefundJob, *, owner: str | None, error: str, now: datetime
    ) -> bool:
        return await self._change(
            job,
            owner,
            lambda j: _released(
                j, now, status=RefundJobStatus.DEAD, last_error=error, finished_at=now
            ),
        )

    async def release(self, job: RefundJob, *, owner: str, now: datetime) -> bool:
        return await self._change(
            job,
            owner,
            lambda j: dataclasses.replace(j, lease_owner=None, lease_until=None, updated_at=now),
        )

    async def list_dead(
        self, *, limit: int, after: tuple[str, int] | None = None
    ) -> list[RefundJob]:
        dead = sorted(
            (r for r in self._rows() if r.status is RefundJobStatus.DEAD),
            key=lambda r: (r.refund_id, r.attempt),
        )
        if after is not None:
            dead = [r for r in dead if (r.refund_id, r.attempt) > after]
        return [copy.deepcopy(r) for r in dead[:limit]]

    async def requeue_dead(self, job: RefundJob, *, now: datetime) -> bool:
        await self._lock(job.id)
        current = self._current(job.id)
        if current is None or current.status is not RefundJobStatus.DEAD:
            return False
        self._write(
            _released(
                copy.deepcopy(current),
                now,
                status=RefundJobStatus.PENDING,
                run_after=now,
                tries=0,
                first_claimed_at=None,
                finished_at=None,
            )
        )
        return True

    async def depths(self, now: datetime) -> RefundQueueDepths:
        rows = self._rows()
        pending = [r for r in rows if r.status is RefundJobStatus.PENDING]
        return RefundQueueDepths(
            pending=len(pending),
            due=sum(1 for r in pending if r.claimable(now)),
            leased=sum(1 for r in pending if r.lease_until is not None and r.lease_until >= now),
            dead=sum(1 for r in rows if r.status is RefundJobStatus.DEAD),
            done=sum(1 for r in rows if r.status is RefundJobStatus.DONE),
            oldest_pending_created_at=min((r.created_at for r in pending), default=None),
        )

    def apply(self) -> None:
        self._store.refund_jobs.update(self._written)


def _by_attempt(job: RefundJob) -> int:
    return job.attempt


class InMemoryIdempotencyKeyRepository:
    def __init__(self, unit: InMemoryUnitOfWork, store: InMemoryStore) -> None:
        self._unit = unit
        self._store = store
        self._written: dict[IdempotencyKey, IdempotencyRecord] = {}

    def _current(self, key: IdempotencyKey) -> IdempotencyRecord | None:
        return self._written.get(key) or self._store.idempotency_keys.get(key)

    async def get(self, scope: str, operation: str, key: str) -> IdempotencyRecord | None:
        return self._current((scope, operation, key))

    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        key = (record.scope, record.operation, record.key)
        await self._unit.lock(f"idempotency:{record.scope}:{record.operation}:{record.key}")
        existing = self._current(key)
        if existing is not None:
            return existing
        self._written[key] = record
        return None

    def apply(self) -> None:
        self._store.idempotency_keys.update(self._written)


def _released(job: RefundJob, now: datetime, **changes: Any) -> RefundJob:
    """`job` with its lease given up and `changes` applied, as of `now`."""
    return dataclasses.replace(job, lease_owner=None, lease_until=None, updated_at=now, **changes)

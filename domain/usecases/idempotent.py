"""Idempotency keys for the mutations that create something (requestRefund's mechanism, shared).

A retry after a lost answer (the connection dropped, the database reset just after the commit)
must not create a second message or case: with a key, the same input returns the first result
and other input is IdempotencyKeyReused. The key is claimed as the first statement of the
transaction that creates the result and commits with it (domain.idempotency, and the
IdempotencyKeyRepository's `claim`: a concurrent call with the same key waits for the first to
end, then replays it).
"""

from __future__ import annotations

from datetime import datetime

from domain.errors import IdempotencyKeyReused
from domain.idempotency import IdempotencyRecord, check_key, fingerprint
from domain.ports import UnitOfWork
from domain.usecases.services import Services
from domain.users import Principal


def wanted(operation: str, key: str | None, payload: object) -> str | None:
    """The fingerprint to store with `key` (None without a key); ValidationFailed for a bad key."""
    if key is None:
        return None
    check_key(key)
    return fingerprint(operation, payload)


async def seen_before(
    services: Services, principal: Principal, operation: str, key: str, wanted: str
) -> IdempotencyRecord | None:
    """The first call's record when this key was used before (IdempotencyKeyReused when with
    other input); None for a new key."""
    async with services.uow() as uow:
        seen = await uow.idempotency_keys.get(principal.user_id, operation, key)
    if seen is not None and seen.fingerprint != wanted:
        raise IdempotencyKeyReused()
    return seen


async def claim(
    uow: UnitOfWork,
    principal: Principal,
    operation: str,
    key: str,
    wanted: str,
    *,
    result_id: str,
    now: datetime,
) -> IdempotencyRecord | None:
    """Claim `key` for `result_id` (call it first in the transaction). None: claimed, go on.
    Otherwise the transaction is rolled back and the earlier record returned, to replay."""
    earlier = await uow.idempotency_keys.claim(
        IdempotencyRecord(
            scope=principal.user_id,
            operation=operation,
            key=key,
            fingerprint=wanted,
            result_id=result_id,
            created_at=now,
        )
    )
    if earlier is None:
        return None
    await uow.rollback()
    if earlier.fingerprint != wanted:
        raise IdempotencyKeyReused()
    return earlier

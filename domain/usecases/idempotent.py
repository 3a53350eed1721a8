"""Idempotency keys for the mutations that create something (requestRefund's mechanism, shared).

A retry after a lost answer (the connection dropped, the database reset just after the commit)
must not create a second message or case: with a key, the same input returns the first result
and other input is IdempotencyKeyReused. The key is claimed as the first statement of the
transaction that creates the result and commits with it (domain.idempotency, and the
IdempotencyKeyRepository's `claim`: a concurrent call with the same key waits for the first to
end, then replays it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.errors import IdempotencyKeyReused
from domain.idempotency import IdempotencyRecord, check_key, fingerprint
from domain.ports import UnitOfWork
from domain.usecases.services import Services
from domain.users import Principal


@dataclass(frozen=True, slots=True)
class IdempotentCall:
    """A create mutation called with an idempotency key: the key's scope (the caller), the
    operation, the key and the fingerprint of the call's input."""

    scope: str
    operation: str
    key: str
    fingerprint: str

    @classmethod
    def of(
        cls, principal: Principal, operation: str, key: str | None, payload: object
    ) -> IdempotentCall | None:
        """None without a key; ValidationFailed for a bad key."""
        if key is None:
            return None
        check_key(key)
        return cls(principal.user_id, operation, key, fingerprint(operation, payload))

    async def seen_before(self, services: Services) -> IdempotencyRecord | None:
        """The first call's record when this key was used before (IdempotencyKeyReused when
        with other input); None for a new key."""
        async with services.uow() as uow:
            seen = await uow.idempotency_keys.get(self.scope, self.operation, self.key)
        if seen is not None and seen.fingerprint != self.fingerprint:
            raise IdempotencyKeyReused()
        return seen

    async def claim(
        self, uow: UnitOfWork, *, result_id: str, now: datetime
    ) -> IdempotencyRecord | None:
        """Claim the key for `result_id` (call it first in the transaction: of concurrent calls
        with one key, the others wait here for the first to end). None: claimed, go on.
        Otherwise the transaction is rolled back and the earlier record returned, to replay."""
        earlier = await uow.idempotency_keys.claim(
            IdempotencyRecord(
                scope=self.scope,
                operation=self.operation,
                key=self.key,
                fingerprint=self.fingerprint,
                result_id=result_id,
                created_at=now,
            )
        )
        if earlier is None:
            return None
        await uow.rollback()
        if earlier.fingerprint != self.fingerprint:
            raise IdempotencyKeyReused()
        return earlier

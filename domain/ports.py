"""Ports: what the domain needs from the outside world, as Protocols. Adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from domain.auth import AccessClaims, IssuedAccessToken, RefreshToken
from domain.cases import Message, SupportCase
from domain.events import CaseEvent
from domain.money import Money
from domain.orders import Order, OrderPage
from domain.refunds import Refund
from domain.users import Role, User


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...


class OrderSystem(Protocol):
    """The external order system. Raises domain.errors.OrderSystemUnavailable when unreachable."""

    async def get_orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """Batch lookup; unknown ids are simply absent from the result. May serve cached copies
        (marked `stale` when the order system could not be reached)."""
        ...

    async def get_orders_fresh(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """Like get_orders, but always read from the order system now: for decisions on money."""
        ...

    async def list_customer_orders(
        self, customer_id: str, *, limit: int, cursor: str | None = None
    ) -> OrderPage: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class AccessTokenService(Protocol):
    def issue(self, *, user_id: str, role: Role, session_id: str) -> IssuedAccessToken: ...

    def verify(self, token: str) -> AccessClaims:
        """Raises domain.errors.InvalidAccessToken for anything not valid."""
        ...


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window_seconds: int) -> float | None:
        """Count one hit; None when allowed, else the seconds until the next hit is allowed."""
        ...


class UserRepository(Protocol):
    async def get(self, user_id: str) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None: ...

    async def add(self, user: User) -> None: ...

    async def save(self, user: User) -> None: ...


class CaseRepository(Protocol):
    async def get(self, case_id: str, *, for_update: bool = False) -> SupportCase | None: ...

    async def add(self, case: SupportCase) -> None:
        """Stores a new case and assigns its human number (case.number)."""
        ...

    async def save(self, case: SupportCase) -> None:
        """Optimistic: raises domain.errors.ConcurrentUpdate if it changed since it was read."""
        ...


class MessageRepository(Protocol):
    async def add(self, message: Message) -> None: ...


class RefundRepository(Protocol):
    async def get(self, refund_id: str, *, for_update: bool = False) -> Refund | None: ...

    async def add(self, refund: Refund) -> None: ...

    async def save(self, refund: Refund) -> None:
        """Optimistic: raises domain.errors.ConcurrentUpdate if it changed since it was read."""
        ...

    async def list_for_order(self, order_id: str) -> list[Refund]: ...

    async def count_requested_since(self, customer_id: str, since: datetime) -> int:
        """Refund requests filed by this customer (user id) since `since`, any status.

        A guard, like the ledger: it locks the customer's requests until the transaction ends,
        so that concurrent requests of one customer count each other."""
        ...

    async def count_granted_since(self, customer_id: str, since: datetime) -> int:
        """Refunds of this customer approved (by anyone) or paid since `since`."""
        ...


class RefundLedger(Protocol):
    """Per-order reservation of refundable money, guarded by the database itself."""

    async def reserve(self, order_id: str, order_total: Money, amount: Money) -> bool:
        """Atomically add `amount` to the order's reserved sum if it stays <= the total.

        False (nothing changed) when it would exceed the total. The row stays locked until the
        transaction ends, so checks made after a successful reserve see a stable picture."""
        ...

    async def release(self, order_id: str, amount: Money) -> None: ...


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None: ...

    async def mark_used(self, token: RefreshToken, now: datetime) -> bool:
        """Guarded: True only for the one caller that flips an unused token to used."""
        ...

    async def revoke_family(self, family_id: str, now: datetime) -> None: ...

    async def family_active(self, family_id: str) -> bool: ...


class UnitOfWork(Protocol):
    """One transaction. Rolls back unless commit() is called; events of the aggregates it saw
    are appended to the case event log inside the transaction and exposed after commit."""

    users: UserRepository
    cases: CaseRepository
    messages: MessageRepository
    refunds: RefundRepository
    ledger: RefundLedger
    refresh_tokens: RefreshTokenRepository
    committed_events: list[CaseEvent]

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def record(self, *events: CaseEvent) -> None:
        """Queue events to be appended to the log when this unit commits."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class EventPublisher(Protocol):
    """Tells live subscribers about events that were committed (never before commit)."""

    async def publish(self, events: Sequence[CaseEvent]) -> None: ...

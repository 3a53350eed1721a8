"""An in-process UnitOfWork with the semantics of a database transaction.

- Reads hand out deep copies; an identity map returns the same object for the same id within a
  unit. Queries inside a unit see the committed state plus the unit's own writes.
- Writes (`add`, `save`) snapshot the object at that moment; nothing is visible to others until
  `commit()`, which validates every write first and then applies all of them at once (no await
  in between, so commits are atomic on the event loop). Leaving the unit without committing
  rolls back.
- `save()` of cases and refunds is optimistic: it raises ConcurrentUpdate when the row's version
  is not the version of the object being saved, and commit re-checks it, so of two units that
  saved the same version only the first commit wins.
- The refund ledger and `mark_used` take row locks that are held until the unit ends, like
  `UPDATE ... WHERE` in PostgreSQL: a second unit touching the same row waits for the first.
- Events queued with `record()` (plus any still pending on saved aggregates) are appended to the
  log at commit with increasing `sequence` and exposed as `committed_events`.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from collections.abc import Callable, Iterator
from datetime import datetime
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

from adapters.memory.macros import InMemoryMacroRepository, InMemoryRatingRepository
from adapters.memory.order_webhooks import InMemoryOrderWebhookInbox
from adapters.memory.refund_execution import (
    InMemoryIdempotencyKeyRepository,
    InMemoryRefundJobRepository,
)
from adapters.memory.store import InMemoryStore
from domain.admin import AuditEntry
from domain.auth import RefreshToken
from domain.cases import Message, SupportCase
from domain.errors import ConcurrentUpdate
from domain.events import CaseEvent
from domain.money import Money
from domain.ports import UnitOfWork
from domain.refunds import Refund, RefundStatus
from domain.users import User


class DuplicateKey(ValueError):
    """An insert of something that already exists (a unique constraint, in a database)."""


class UnitOfWorkClosed(RuntimeError):
    """The unit already committed or rolled back."""


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=_HasId)


class _Table(Generic[R]):
    """One unit's view of one dict of the store: committed rows overlaid with its own writes."""

    def __init__(self, committed: dict[str, R]) -> None:
        self.committed = committed
        self.identity: dict[str, R] = {}  # objects handed out by this unit
        self.written: dict[str, R] = {}  # snapshots to apply at commit
        self.inserted: set[str] = set()

    def current(self, key: str) -> R | None:
        row = self.written.get(key)
        return row if row is not None else self.committed.get(key)

    def rows(self) -> Iterator[R]:
        for key, row in self.committed.items():
            if key not in self.written:
                yield row
        yield from self.written.values()

    def load(self, key: str) -> R | None:
        if key in self.identity:
            return self.identity[key]
        row = self.current(key)
        if row is None:
            return None
        obj = copy.deepcopy(row)
        self.identity[key] = obj
        return obj

    def insert(self, obj: R) -> None:
        if self.current(obj.id) is not None:
            raise DuplicateKey(f"{type(obj).__name__} {obj.id} already exists")
        self.inserted.add(obj.id)
        self.write(obj)

    def write(self, obj: R) -> None:
        self.identity[obj.id] = obj
        snapshot = copy.deepcopy(obj)
        events = getattr(snapshot, "events", None)
        if isinstance(events, list):
            events.clear()  # pending events go to the log, never into the stored row
        self.written[obj.id] = snapshot

    def check_inserts(self) -> None:
        for key in self.inserted:
            if key in self.committed:
                raise DuplicateKey(f"{key} already exists")

    def apply(self) -> None:
        self.committed.update(self.written)


class _Versioned(Protocol):
    @property
    def id(self) -> str: ...

    version: int


V = TypeVar("V", bound=_Versioned)


class _VersionedTable(_Table[V]):
    def __init__(self, committed: dict[str, V], what: str) -> None:
        super().__init__(committed)
        self.what = what
        self.read_versions: dict[str, int] = {}  # committed version each saved row was based on

    def save(self, obj: V) -> None:
        row = self.current(obj.id)
        if row is None or row.version != obj.version:
            raise ConcurrentUpdate(self.what)
        if obj.id not in self.inserted:
            self.read_versions.setdefault(obj.id, obj.version)
        obj.version += 1
        self.write(obj)

    def check_versions(self) -> None:
        self.check_inserts()
        for key, version in self.read_versions.items():
            row = self.committed.get(key)
            if row is None or row.version != version:
                raise ConcurrentUpdate(self.what)


class InMemoryUserRepository:
    def __init__(self, table: _Table[User]) -> None:
        self._t = table

    async def get(self, user_id: str) -> User | None:
        return self._t.load(user_id)

    async def get_by_email(self, email: str) -> User | None:
        found = next((u for u in self._t.rows() if u.email == email), None)
        return self._t.load(found.id) if found is not None else None

    async def add(self, user: User) -> None:
        if any(u.email == user.email for u in self._t.rows()):
            raise DuplicateKey(f"email {user.email} already taken")
        self._t.insert(user)

    async def save(self, user: User) -> None:
        if self._t.current(user.id) is None:
            raise ConcurrentUpdate("user")
        if any(u.email == user.email and u.id != user.id for u in self._t.rows()):
            raise DuplicateKey(f"email {user.email} already taken")
        self._t.write(user)


class InMemoryCaseRepository:
    def __init__(
        self,
        table: _VersionedTable[SupportCase],
        store: InMemoryStore,
        store_events: Callable[[list[CaseEvent]], None] = lambda events: None,
    ) -> None:
        self._t = table
        self._store = store
        # Like the SQL repository: add()/save() hand the aggregate's events to the unit of work.
        self._store_events = store_events

    async def get(self, case_id: str, *, for_update: bool = False) -> SupportCase | None:
        # for_update needs no lock here: save() is optimistic and commit re-checks versions.
        return self._t.load(case_id)

    async def add(self, case: SupportCase) -> None:
        if self._t.current(case.id) is not None:
            raise DuplicateKey(f"case {case.id} already exists")
        case.number = self._store.next_case_number()
        self._t.insert(case)
        self._store_events(case.pull_events())

    async def save(self, case: SupportCase) -> None:
        self._t.save(case)
        self._store_events(case.pull_events())

    async def ids_for_order(self, order_id: str) -> list[str]:
        about = sorted(
            (c for c in self._t.rows() if c.order_id == order_id),
            key=lambda c: (c.created_at, c.id),
        )
        return [c.id for c in about]


class InMemoryMessageRepository:
    def __init__(self, table: _Table[Message], cases: _Table[SupportCase]) -> None:
        self._t = table
        self._cases = cases

    async def add(self, message: Message) -> None:
        if self._cases.current(message.case_id) is None:
            raise ValueError(f"message {message.id} refers to unknown case {message.case_id}")
        self._t.insert(message)


_GRANTED = frozenset({RefundStatus.APPROVED, RefundStatus.PROCESSING, RefundStatus.SUCCEEDED})


class InMemoryRefundRepository:
    def __init__(
        self, table: _VersionedTable[Refund], unit: InMemoryUnitOfWork | None = None
    ) -> None:
        self._t = table
        self._unit = unit

    async def get(self, refund_id: str, *, for_update: bool = False) -> Refund | None:
        if for_update and self._unit is not None:  # SELECT ... FOR UPDATE: the row, until the end
            await self._unit.lock(f"refund:{refund_id}")
        return self._t.load(refund_id)

    async def add(self, refund: Refund) -> None:
        self._t.insert(refund)
        if self._unit is not None:
            self._unit.record(*refund.pull_events())

    async def save(self, refund: Refund) -> None:
        self._t.save(refund)
        if self._unit is not None:
            self._unit.record(*refund.pull_events())

    async def list_for_order(self, order_id: str) -> list[Refund]:
        rows = sorted(
            (r for r in self._t.rows() if r.order_id == order_id),
            key=lambda r: (r.created_at, r.id),
        )
        return [obj for r in rows if (obj := self._t.load(r.id)) is not None]

    async def count_requested_since(self, customer_id: str, since: datetime) -> int:
        if self._unit is not None:  # like the SQL adapter: the customer's row, until the unit ends
            await self._unit.lock(f"refund-requests:{customer_id}")
        return sum(
            1 for r in self._t.rows() if r.customer_id == customer_id and r.created_at >= since
        )

    async def count_granted_since(self, customer_id: str, since: datetime) -> int:
        return sum(
            1
            for r in self._t.rows()
            if r.customer_id == customer_id
            and r.status in _GRANTED
            and r.approval is not None
            and r.decided_at is not None
            and r.decided_at >= since
        )


class InMemoryRefundLedger:
    """reserve/release of PostgreSQL's guarded `UPDATE ledger SET reserved = reserved + :a
    WHERE order_id = :o AND reserved + :a <= :total`, with the row locked until the unit ends."""

    def __init__(self, unit: InMemoryUnitOfWork, store: InMemoryStore) -> None:
        self._unit = unit
        self._store = store
        self.deltas: dict[str, Money] = {}

    def _reserved(self, order_id: str, currency: str) -> Money:
        reserved = self._store.ledger.get(order_id, Money.zero(currency))
        delta = self.deltas.get(order_id)
        return reserved + delta if delta is not None else reserved

    async def reserve(self, order_id: str, order_total: Money, amount: Money) -> bool:
        if amount.amount <= 0:
            raise ValueError("a reservation must be positive")
        await self._unit.lock(f"ledger:{order_id}")
        reserved = self._reserved(order_id, order_total.currency)
        if order_total < reserved + amount:
            return False
        self.deltas[order_id] = self.deltas.get(order_id, Money.zero(amount.currency)) + amount
        return True

    async def release(self, order_id: str, amount: Money) -> None:
        if amount.amount <= 0:
            raise ValueError("a release must be positive")
        await self._unit.lock(f"ledger:{order_id}")
        reserved = self._reserved(order_id, amount.currency)
        if reserved < amount:  # CHECK (reserved >= 0)
            raise ValueError(f"release of {amount.formatted()} exceeds what order has reserved")
        self.deltas[order_id] = self.deltas.get(order_id, Money.zero(amount.currency)) - amount

    def apply(self) -> None:
        for order_id, delta in self.deltas.items():
            self._store.ledger[order_id] = (
                self._store.ledger.get(order_id, Money.zero(delta.currency)) + delta
            )


class InMemoryRefreshTokenRepository:
    """Updates are recorded as column updates and applied at commit (like `UPDATE ... SET`)."""

    def __init__(self, unit: InMemoryUnitOfWork, table: _Table[RefreshToken]) -> None:
        self._unit = unit
        self._t = table
        self.used: dict[str, datetime] = {}
        self.revoked_families: dict[str, datetime] = {}

    def _view(self, token: RefreshToken) -> RefreshToken:
        """A row as this unit sees it: its own updates applied."""
        used_at = token.used_at or self.used.get(token.id)
        revoked_at = token.revoked_at or self.revoked_families.get(token.family_id)
        if used_at is token.used_at and revoked_at is token.revoked_at:
            return token
        return dataclasses.replace(token, used_at=used_at, revoked_at=revoked_at)

    async def add(self, token: RefreshToken) -> None:
        self._t.insert(token)

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        found = next((t for t in self._t.rows() if t.token_hash == token_hash), None)
        return copy.deepcopy(self._view(found)) if found is not None else None

    async def mark_used(self, token: RefreshToken, now: datetime) -> bool:
        await self._unit.lock(f"refresh-token:{token.id}")
        row = self._t.current(token.id)
        if row is None or self._view(row).used_at is not None:
            return False
        self.used[token.id] = now
        token.used_at = now
        return True

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        self.revoked_families.setdefault(family_id, now)

    async def revoke_user(self, user_id: str, now: datetime) -> None:
        for token in list(self._t.rows()):
            if token.user_id == user_id:
                self.revoked_families.setdefault(token.family_id, now)

    async def family_active(self, family_id: str) -> bool:
        return any(
            self._view(t).revoked_at is None and self._unit.user_active(t.user_id)
            for t in self._t.rows()
            if t.family_id == family_id
        )

    def apply(self) -> None:
        tokens = self._t.committed
        tokens.update(self._t.written)
        for token_id, used_at in self.used.items():
            token = tokens[token_id]
            if token.used_at is None:
                token.used_at = used_at
        for family_id, revoked_at in self.revoked_families.items():
            for token in tokens.values():
                if token.family_id == family_id and token.revoked_at is None:
                    token.revoked_at = revoked_at


class InMemoryAuditLog:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.pending: list[AuditEntry] = []

    async def add(self, entry: AuditEntry) -> None:
        self.pending.append(entry)

    async def newest(self, *, limit: int, before: int | None = None) -> list[AuditEntry]:
        entries = [e for e in reversed(self._store.audit_entries)]
        if before is not None:
            entries = [e for e in entries if e.sequence is not None and e.sequence < before]
        return [copy.deepcopy(e) for e in entries[:limit]]

    def apply(self) -> None:
        for entry in self.pending:
            sequence = len(self._store.audit_entries) + 1
            self._store.audit_entries.append(dataclasses.replace(entry, sequence=sequence))
        self.pending = []


class InMemoryUnitOfWork(UnitOfWork):
    # Subclasses the port, like SqlUnitOfWork: the repositories are typed as the ports.

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._users = _Table(store.users)
        self._cases = _VersionedTable(store.cases, "case")
        self._messages = _Table(store.messages)
        self._refunds = _VersionedTable(store.refunds, "refund")
        self._tokens = _Table(store.refresh_tokens)
        self._ledger = InMemoryRefundLedger(self, store)
        self._token_repo = InMemoryRefreshTokenRepository(self, self._tokens)
        self.users = InMemoryUserRepository(self._users)
        self.cases = InMemoryCaseRepository(self._cases, store, lambda events: self.record(*events))
        self.messages = InMemoryMessageRepository(self._messages, self._cases)
        self.refunds = InMemoryRefundRepository(self._refunds, self)
        self.ledger = self._ledger
        self.refresh_tokens = self._token_repo
        self._order_webhooks = InMemoryOrderWebhookInbox(self, store)
        self.order_webhooks = self._order_webhooks
        self._refund_jobs = InMemoryRefundJobRepository(self, store)
        self.refund_jobs = self._refund_jobs
        self._idempotency_keys = InMemoryIdempotencyKeyRepository(self, store)
        self.idempotency_keys = self._idempotency_keys
        self._audit_log = InMemoryAuditLog(store)
        self.audit_log = self._audit_log
        self._macros = InMemoryMacroRepository(store)
        self.macros = self._macros
        self._ratings = InMemoryRatingRepository(store)
        self.ratings = self._ratings
        self.committed_events = []
        self._recorded: list[CaseEvent] = []
        self._held: dict[str, asyncio.Lock] = {}
        self._closed = False
        self.committed = False

    async def __aenter__(self) -> Self:
        self._check_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._closed:
            await self.rollback()

    def record(self, *events: CaseEvent) -> None:
        self._check_open()
        self._recorded.extend(events)

    async def lock(self, key: str) -> None:
        """Take the row lock `key` until this unit ends (re-entrant within the unit)."""
        self._check_open()
        if key in self._held:
            return
        lock = self._store.lock(key)
        await lock.acquire()
        self._held[key] = lock

    def user_active(self, user_id: str) -> bool:
        """Whether the user exists and is active, as this unit sees it."""
        user = self._users.current(user_id)
        return user is not None and user.active

    def holds(self, key: str) -> bool:
        """Whether this unit holds the row lock `key`."""
        return key in self._held

    async def commit(self) -> None:
        self._check_open()
        try:
            if self._store.fail_next_commit is not None:
                failure, self._store.fail_next_commit = self._store.fail_next_commit, None
                raise failure
            # Validate everything first: a failed commit changes nothing.
            self._users.check_inserts()
            self._messages.check_inserts()
            self._tokens.check_inserts()
            self._cases.check_versions()
            self._refunds.check_versions()
            self._macros.check()
            self._ratings.check()
            events = list(self._recorded)
            # Events still pending on saved aggregates belong to this transaction too.
            for key in self._cases.written:
                if (case := self._cases.identity.get(key)) is not None:
                    events.extend(case.pull_events())
            for key in self._refunds.written:
                if (refund := self._refunds.identity.get(key)) is not None:
                    events.extend(refund.pull_events())
            # Apply (no await from here on: atomic on the event loop).
            self._users.apply()
            self._cases.apply()
            self._messages.apply()
            self._refunds.apply()
            self._token_repo.apply()
            self._ledger.apply()
            self._order_webhooks.apply()
            self._refund_jobs.apply()
            self._idempotency_keys.apply()
            self._audit_log.apply()
            self._macros.apply()
            self._ratings.apply()
            committed: list[CaseEvent] = []
            for event in events:
                stored = dataclasses.replace(event, sequence=self._store.last_sequence + 1)
                self._store.events.append(stored)
                committed.append(stored)
            self.committed_events = committed
            self._store.commits += 1
            self.committed = True
        except BaseException:
            self._store.rollbacks += 1
            raise
        finally:
            self._close()

    async def rollback(self) -> None:
        if self._closed:
            return
        self._store.rollbacks += 1
        self._close()

    def _check_open(self) -> None:
        if self._closed:
            raise UnitOfWorkClosed("this unit of work has already ended")

    def _close(self) -> None:
        self._closed = True
        self._recorded.clear()
        held, self._held = self._held, {}
        for lock in held.values():
            lock.release()


class InMemoryUnitOfWorkFactory:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.created = 0

    def __call__(self) -> InMemoryUnitOfWork:
        self.created += 1
        return InMemoryUnitOfWork(self.store)

"""The shared state of the in-process adapters: plain dicts plus the row locks of a database."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.admin import AuditEntry
from domain.auth import RefreshToken
from domain.cases import Message, SupportCase
from domain.events import CaseEvent
from domain.idempotency import IdempotencyRecord
from domain.macros import Macro
from domain.money import Money
from domain.refund_jobs import RefundJob
from domain.refunds import Refund
from domain.satisfaction import CaseRating
from domain.users import User

if TYPE_CHECKING:
    from adapters.memory.order_webhooks import StoredOrderVersion
    from domain.order_events import StoredDelivery


@dataclass(eq=False)
class InMemoryStore:
    """Committed state only. Units of work read copies of it and write back on commit.

    `fail_next_commit`: when set, the next commit raises it (after taking nothing from the unit),
    so that tests can play "the database failed at commit"."""

    users: dict[str, User] = field(default_factory=dict)
    cases: dict[str, SupportCase] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    refunds: dict[str, Refund] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    # The case event log, in sequence order (sequence = position + 1).
    events: list[CaseEvent] = field(default_factory=list)
    # Refund ledger: the money reserved per order id (succeeded + in flight).
    ledger: dict[str, Money] = field(default_factory=dict)
    # Order webhooks: processed delivery ids and the newest applied version per order.
    order_webhook_deliveries: dict[str, StoredDelivery] = field(default_factory=dict)
    order_versions: dict[str, StoredOrderVersion] = field(default_factory=dict)
    # Refund execution: outbox jobs by id ("{refund_id}:{attempt}") and mutation idempotency
    # keys by (scope, operation, key).
    refund_jobs: dict[str, RefundJob] = field(default_factory=dict)
    idempotency_keys: dict[tuple[str, str, str], IdempotencyRecord] = field(default_factory=dict)
    # The audit log of admin actions, oldest first (sequence = position + 1).
    audit_entries: list[AuditEntry] = field(default_factory=list)
    # Canned replies by id, and customer ratings by case id.
    macros: dict[str, Macro] = field(default_factory=dict)
    ratings: dict[str, CaseRating] = field(default_factory=dict)
    last_case_number: int = 0
    commits: int = 0
    rollbacks: int = 0
    fail_next_commit: BaseException | None = None
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict, repr=False)

    # -- seeding (outside any unit of work) -----------------------------------------------------

    def add_user(self, user: User) -> None:
        if user.id in self.users:
            raise ValueError(f"user {user.id} already exists")
        if any(u.email == user.email for u in self.users.values()):
            raise ValueError(f"email {user.email} already taken")
        self.users[user.id] = copy.deepcopy(user)

    # -- database-like services for units of work ----------------------------------------------

    @property
    def last_sequence(self) -> int:
        return len(self.events)

    def next_case_number(self) -> int:
        """Like a database sequence: a number is never handed out twice, even on rollback."""
        self.last_case_number += 1
        return self.last_case_number

    def lock(self, key: str) -> asyncio.Lock:
        """The row lock of `key` (created on first use)."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def reserved(self, order_id: str) -> Money | None:
        """What the ledger holds for an order (None: never reserved)."""
        return self.ledger.get(order_id)

"""Ports: what the domain needs from the outside world, as Protocols. Adapters implement them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from domain.admin import AuditEntry
from domain.auth import AccessClaims, IssuedAccessToken, RefreshToken
from domain.cases import Message, SupportCase
from domain.events import CaseEvent
from domain.idempotency import IdempotencyRecord
from domain.live import EventScope, Wakeup
from domain.macros import Macro
from domain.money import Money
from domain.order_events import OrderEvent, OrderVersionAdvance, StoredDelivery
from domain.orders import Order, OrderPage, OrderStatus
from domain.outbound_webhooks import (
    AttemptOutcome,
    DeliveryFilter,
    SendResult,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookPost,
)
from domain.queries import Page
from domain.refund_jobs import RefundJob, RefundQueueDepths
from domain.refunds import Refund
from domain.satisfaction import CaseRating, ScoreCount
from domain.sla import SlaBreach
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

    async def ids_for_order(self, order_id: str) -> list[str]:
        """The ids of every case about this order (any status), oldest first."""
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


class RefundJobRepository(Protocol):
    """The refund outbox (domain.refund_jobs). Writes are guarded conditional updates: each
    returns whether it changed the job (False: it was not in the state the caller assumed)."""

    async def enqueue(self, job: RefundJob) -> None:
        """Store a new job (in the transaction of the decision that made the refund payable)."""
        ...

    async def get(self, refund_id: str, attempt: int) -> RefundJob | None: ...

    async def list_for_refund(self, refund_id: str) -> list[RefundJob]:
        """Every attempt's job of a refund, oldest attempt first."""
        ...

    async def claim(self, *, owner: str, now: datetime, lease_seconds: float) -> RefundJob | None:
        """Lease one claimable job (PENDING, due, lease absent or expired) to `owner` until
        now + lease, or None. Concurrent claimers never get the same job while a lease runs
        (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: a guarded conditional UPDATE)."""
        ...

    async def complete(self, job: RefundJob, *, now: datetime) -> bool:
        """PENDING -> DONE (whoever holds the lease: a definite outcome is the truth)."""
        ...

    async def reschedule(
        self, job: RefundJob, *, owner: str, run_after: datetime, error: str, now: datetime
    ) -> bool:
        """Unknown outcome: count a try, free the lease, run again at `run_after`; only while
        `owner` still holds the job."""
        ...

    async def mark_dead(
        self, job: RefundJob, *, owner: str | None, error: str, now: datetime
    ) -> bool:
        """PENDING -> DEAD (a human must look). With `owner`, only while it holds the job."""
        ...

    async def release(self, job: RefundJob, *, owner: str, now: datetime) -> bool:
        """Give the lease back without a try (graceful shutdown): claimable again at once."""
        ...

    async def list_dead(
        self, *, limit: int, after: tuple[str, int] | None = None
    ) -> list[RefundJob]:
        """DEAD jobs in (refund_id, attempt) order, after that key when given."""
        ...

    async def requeue_dead(self, job: RefundJob, *, now: datetime) -> bool:
        """DEAD -> PENDING, due now, its give-up clock restarted (an operator's decision); the
        last error is kept."""
        ...

    async def depths(self, now: datetime) -> RefundQueueDepths:
        """How many jobs are in each state (and due or leased at `now`), the oldest pending."""
        ...


class IdempotencyKeyRepository(Protocol):
    async def get(self, scope: str, operation: str, key: str) -> IdempotencyRecord | None: ...

    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Store `record` unless its (scope, operation, key) exists: None when stored, else the
        existing record. A concurrent transaction holding the same key is waited for first."""
        ...


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None: ...

    async def mark_used(self, token: RefreshToken, now: datetime) -> bool:
        """Guarded: True only for the one caller that flips an unused token to used."""
        ...

    async def revoke_family(self, family_id: str, now: datetime) -> None: ...

    async def revoke_user(self, user_id: str, now: datetime) -> None:
        """Revoke every session (refresh-token family) of the user."""
        ...

    async def family_active(self, family_id: str) -> bool:
        """True while the family has an unrevoked token and its user is active."""
        ...


class MacroRepository(Protocol):
    """The shared canned replies (domain.macros)."""

    async def get(self, macro_id: str) -> Macro | None: ...

    async def add(self, macro: Macro) -> None: ...

    async def save(self, macro: Macro) -> None:
        """Optimistic: raises domain.errors.ConcurrentUpdate if it changed since it was read."""
        ...

    async def delete(self, macro_id: str) -> bool:
        """False when there was no such macro."""
        ...

    async def list(self, *, limit: int, after: tuple[str, str] | None = None) -> list[Macro]:
        """Up to `limit` macros by (title, id); with `after`, those after that position."""
        ...


class RatingRepository(Protocol):
    """Customer ratings of resolved cases (domain.satisfaction), one per case."""

    async def add(self, rating: CaseRating) -> bool:
        """Store the rating unless the case has one: False (nothing written) when it has. Of
        concurrent units rating one case, one gets True; the others wait and get False."""
        ...

    async def for_cases(self, case_ids: Sequence[str]) -> dict[str, CaseRating]: ...

    async def score_counts(
        self, *, since: datetime, until: datetime, agent_id: str | None = None
    ) -> list[ScoreCount]:
        """How many ratings of each score each agent got with since <= rated_at < until
        (with `agent_id`, only that agent's)."""
        ...


class SessionNotices(Protocol):
    """ "Every session of this user just ended", carried to every instance (best effort: the
    session check of each request and socket stays the truth; this only makes sockets close
    sooner than their next periodic check)."""

    async def announce(self, user_id: str) -> None:
        """After commit. Never raises."""
        ...

    def watch(self, user_id: str, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` (on the event loop) whenever the user's sessions are announced ended,
        by any instance; returns the function that stops watching."""
        ...


class AuditLog(Protocol):
    """The append-only log of admin actions, written in the transaction of the action."""

    async def add(self, entry: AuditEntry) -> None: ...

    async def newest(self, *, limit: int, before: int | None = None) -> list[AuditEntry]:
        """Up to `limit` entries, newest first; with `before`, only those with a lower sequence."""
        ...


class OrderWebhookInbox(Protocol):
    """What the service remembers of the order system's webhooks, inside the unit of work's
    transaction, so that a delivery and its effect are stored together or not at all."""

    async def record_delivery(self, delivery: StoredDelivery) -> bool:
        """Remember a delivery by its id: True the first time, False when it was recorded before
        (at any time). Of concurrent units recording the same id, one gets True; the others wait
        for it to end and get False if it committed."""
        ...

    async def stored_delivery(self, delivery_id: str) -> StoredDelivery | None:
        """A recorded delivery (for a replay), or None."""
        ...

    async def advance_order(
        self, order_id: str, *, version: int, status: OrderStatus, changed_at: datetime
    ) -> OrderVersionAdvance:
        """Store the order's version and status if `version` is newer than the stored one (or
        there is none). The order's row stays locked until the unit ends, so concurrent events
        of one order are ordered by version, never by arrival."""
        ...


class OrderEventDecoder(Protocol):
    """Reads a stored delivery's payload back into its event (the order system's format)."""

    def decode(self, delivery_id: str, payload: str, *, now: datetime) -> OrderEvent | None:
        """The event; None for an event type this service does not handle. Raises ValueError
        for a payload that is not a valid event."""
        ...


class OrderChanges(Protocol):
    """Where the service's copies of orders learn that an order changed (the order cache)."""

    async def order_changed(self, order_ids: Sequence[str], *, known_at: datetime) -> None:
        """Copies read before `known_at` must no longer be served as fresh, nor be written back
        by reads that started before it. Raises when that cannot be recorded."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Rolls back unless commit() is called; events of the aggregates it saw
    are appended to the case event log inside the transaction and exposed after commit."""

    users: UserRepository
    cases: CaseRepository
    messages: MessageRepository
    refunds: RefundRepository
    ledger: RefundLedger
    refresh_tokens: RefreshTokenRepository
    order_webhooks: OrderWebhookInbox
    refund_jobs: RefundJobRepository
    idempotency_keys: IdempotencyKeyRepository
    audit_log: AuditLog
    macros: MacroRepository
    ratings: RatingRepository
    committed_events: list[CaseEvent]

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def record(self, *events: CaseEvent) -> None:
        """Queue events that belong to no aggregate (order updates, SLA breaches). The events of
        cases and refunds need no call: their repositories' add()/save() hand them over."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class EventPublisher(Protocol):
    """Tells live subscribers about events that were committed (never before commit)."""

    async def publish(self, events: Sequence[CaseEvent]) -> None: ...


class EventSubscription(Protocol):
    """One subscriber's view of the broker (see domain.live)."""

    async def next(self) -> Wakeup:
        """Waits for at least one notification (or a resync), then returns everything pending.

        Raises domain.live.SubscriberTooSlow once the broker dropped this subscriber."""
        ...


class EventBroker(EventPublisher, Protocol):
    """An EventPublisher that live subscribers can also listen to."""

    def listen(
        self, scope: EventScope, *, max_pending: int
    ) -> AbstractAsyncContextManager[EventSubscription]:
        """Subscribed once entered: every event of `scope` published after that is delivered.

        At most `max_pending` undelivered notifications are held; one more drops the
        subscriber (it never slows the publisher or other subscribers). Raises
        domain.live.LiveUpdatesUnavailable when the broker cannot subscribe."""
        ...


class SlaBreachLog(Protocol):
    """Which SLA breaches were already announced (one SLA_BREACHED event per case per due time)."""

    async def candidates(self, now: datetime, *, limit: int) -> list[SlaBreach]:
        """Cases whose current due time of some kind lies before `now` and was not announced
        yet; oldest due time first. The caller re-checks each on the loaded case."""
        ...

    async def claim(
        self, work: UnitOfWork, breach: SlaBreach, *, event_id: str, now: datetime
    ) -> bool:
        """Inside `work`'s transaction: note that `breach` is being announced. False (and
        nothing written) when it already was, by this or another process."""
        ...


class WebhookStore(Protocol):
    """Outbound webhook endpoints and their deliveries (domain.outbound_webhooks). Each call is
    its own transaction. Deliveries caused by a change are NOT written here: the unit of work
    writes them with the change (the outbox). The writes an admin causes take the action's
    `audit` entry, stored in the same transaction as the write (both or neither)."""

    async def add_endpoint(
        self, endpoint: WebhookEndpoint, *, audit: AuditEntry | None = None
    ) -> None: ...

    async def get_endpoint(self, endpoint_id: str) -> WebhookEndpoint | None: ...

    async def save_endpoint(
        self, endpoint: WebhookEndpoint, *, audit: AuditEntry | None = None
    ) -> None:
        """Stores what an admin may change (url, events, description, active, secrets)."""
        ...

    async def list_endpoints(self) -> list[WebhookEndpoint]:
        """Every endpoint, oldest first."""
        ...

    async def get_delivery(self, delivery_id: str) -> WebhookDelivery | None: ...

    async def add_delivery(
        self, delivery: WebhookDelivery, *, audit: AuditEntry | None = None
    ) -> None: ...

    async def list_deliveries(
        self, delivery_filter: DeliveryFilter, *, first: int, after: str | None
    ) -> Page[WebhookDelivery]:
        """Newest first, keyset-paginated (ValidationFailed for a cursor not of this list)."""
        ...

    async def claim(
        self, *, owner: str, now: datetime, lease_seconds: float
    ) -> tuple[WebhookDelivery, WebhookEndpoint] | None:
        """Lease the PENDING delivery due first whose endpoint is active (lease absent or
        expired) to `owner`; with its endpoint. Concurrent claimers never share one."""
        ...

    async def record_attempt(
        self,
        delivery: WebhookDelivery,
        result: SendResult,
        outcome: AttemptOutcome,
        *,
        owner: str,
        now: datetime,
    ) -> bool:
        """Store an attempt and free the lease, only while `owner` holds it; count the
        endpoint's consecutive failures (reset by a success) and disable it with the reason
        when they reach the limit. False when the lease was lost (nothing stored)."""
        ...


class WebhookSender(Protocol):
    async def send(self, post: WebhookPost) -> SendResult:
        """POST the payload signed with every secret (Standard Webhooks). Never raises for
        what the receiver or the network does: that is a SendResult with an error."""
        ...

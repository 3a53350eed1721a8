"""Demo users and orders, fakes of the security ports, and a Services wired to memory adapters."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from adapters.auth.refresh_tokens import hash_refresh_token, new_refresh_token
from adapters.clock import FixedClock
from adapters.memory import (
    FakeOrderSystem,
    InMemoryEventPublisher,
    InMemoryReadStore,
    InMemoryStore,
    InMemoryUnitOfWorkFactory,
)
from adapters.rate_limit import InProcessRateLimiter
from domain.auth import AccessClaims, IssuedAccessToken
from domain.cases import CaseCategory, CasePriority, CaseRules, SupportCase
from domain.errors import InvalidAccessToken
from domain.events import CaseEvent
from domain.money import Money
from domain.orders import Order, OrderLine, OrderStatus
from domain.refunds import RefundPolicy
from domain.usecases.services import AuthRules, Services
from domain.users import Principal, Role, User

NOW = datetime(2025, 3, 10, 12, 0, 0, tzinfo=UTC)
PASSWORD = "demo-password"

ALICE_ID = "user-alice"
BOB_ID = "user-bob"
AGENT_ID = "user-agent"
SAM_ID = "user-sam"
ADMIN_ID = "user-admin"

ORDER_120 = "ord-alice-1"  # delivered 3 days ago, USD 120.00 = 40.00 + 75.00 + 5.00 shipping
ORDER_OLD = "ord-alice-2"  # delivered 45 days ago
ORDER_SHIPPED = "ord-alice-3"  # shipped, promised in 2 days
ORDER_LOST = "ord-alice-4"  # promised 10 days ago, never delivered
ORDER_SMALL = "ord-alice-5"  # delivered yesterday, USD 19.99
ORDER_BOB = "ord-bob-1"  # delivered 5 days ago, USD 800.00


def usd(amount: int) -> Money:
    return Money(amount, "USD")


class FakePasswordHasher:
    def hash(self, password: str) -> str:
        return f"fake${password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == f"fake${password}"


class FakeAccessTokens:
    """Opaque numbered tokens remembered in a dict; they expire after `ttl` on the clock."""

    def __init__(self, clock: FixedClock, ttl: timedelta = timedelta(minutes=15)) -> None:
        self.clock = clock
        self.ttl = ttl
        self.issued: dict[str, AccessClaims] = {}
        self._ids = itertools.count(1)

    def issue(self, *, user_id: str, role: Role, session_id: str) -> IssuedAccessToken:
        now = self.clock.now()
        token_id = f"jti-{next(self._ids)}"
        token = f"access.{token_id}"
        self.issued[token] = AccessClaims(
            user_id=user_id,
            role=role,
            session_id=session_id,
            token_id=token_id,
            issued_at=now,
            expires_at=now + self.ttl,
        )
        return IssuedAccessToken(token=token, expires_at=now + self.ttl)

    def verify(self, token: str) -> AccessClaims:
        claims = self.issued.get(token)
        if claims is None:
            raise InvalidAccessToken("unknown token")
        if self.clock.now() >= claims.expires_at:
            raise InvalidAccessToken("expired")
        return claims


def demo_users(now: datetime) -> list[User]:
    hasher = FakePasswordHasher()

    def user(uid: str, email: str, name: str, role: Role, customer: str | None = None) -> User:
        return User(
            id=uid,
            email=email,
            name=name,
            role=role,
            password_hash=hasher.hash(PASSWORD),
            created_at=now - timedelta(days=100),
            external_customer_id=customer,
        )

    return [
        user(ALICE_ID, "alice@example.com", "Alice Anders", Role.CUSTOMER, "cust-alice"),
        user(BOB_ID, "bob@example.com", "Bob Brown", Role.CUSTOMER, "cust-bob"),
        user(AGENT_ID, "agent@example.com", "Agnes Agent", Role.AGENT),
        user(SAM_ID, "sam@example.com", "Sam Support", Role.AGENT),
        user(ADMIN_ID, "admin@example.com", "Ada Admin", Role.ADMIN),
    ]


def make_order(
    order_id: str,
    *,
    customer: str,
    status: OrderStatus,
    placed_at: datetime,
    lines: list[tuple[str, int, int]],  # (name, quantity, unit price in cents)
    shipping: int = 0,
    promised: date | None = None,
    delivered_at: datetime | None = None,
    currency: str = "USD",
) -> Order:
    order_lines = tuple(
        OrderLine(
            id=f"{order_id}-l{i}",
            sku=f"SKU-{i}",
            name=name,
            quantity=quantity,
            unit_price=Money(price, currency),
        )
        for i, (name, quantity, price) in enumerate(lines, start=1)
    )
    total = sum(q * p for _, q, p in lines) + shipping
    return Order(
        id=order_id,
        number=f"#{order_id}",
        customer_id=customer,
        status=status,
        placed_at=placed_at,
        promised_delivery_date=promised,
        delivered_at=delivered_at,
        currency=currency,
        total=Money(total, currency),
        shipping=Money(shipping, currency),
        lines=order_lines,
        payment_reference=f"pay_{order_id}",
        as_of=placed_at,
    )


# The demo orders of API.md: id, customer, status, placed (days ago), promised delivery (days from
# today; negative: in the past), delivered (days ago, or None), shipping, then the lines (name,
# quantity, unit price in cents).
_DEMO_ORDERS: tuple[
    tuple[str, str, OrderStatus, int, int, int | None, int, list[tuple[str, int, int]]], ...
] = (
    (ORDER_120, "cust-alice", OrderStatus.DELIVERED, 8, -3, 3, 500,
     [("Wireless headphones", 1, 4000), ("Bluetooth speaker", 1, 7500)]),
    (ORDER_OLD, "cust-alice", OrderStatus.DELIVERED, 50, -46, 45, 500, [("Ceramic mug", 2, 2750)]),
    (ORDER_SHIPPED, "cust-alice", OrderStatus.SHIPPED, 2, 2, None, 400,
     [("Hardcover notebook", 3, 1200)]),
    (ORDER_LOST, "cust-alice", OrderStatus.SHIPPED, 20, -10, None, 500, [("Desk lamp", 1, 4500)]),
    (ORDER_SMALL, "cust-alice", OrderStatus.DELIVERED, 4, -1, 1, 0, [("USB-C cable", 1, 1999)]),
    (ORDER_BOB, "cust-bob", OrderStatus.DELIVERED, 9, -5, 5, 1000, [('55" television', 1, 79000)]),
)  # fmt: skip


def demo_orders(now: datetime) -> list[Order]:
    """The demo orders of API.md, dates relative to `now`."""
    return [
        make_order(
            order_id,
            customer=customer,
            status=status,
            placed_at=now - timedelta(days=placed),
            promised=now.date() + timedelta(days=promised),
            delivered_at=now - timedelta(days=delivered) if delivered is not None else None,
            lines=lines,
            shipping=shipping,
        )
        for order_id, customer, status, placed, promised, delivered, shipping, lines in _DEMO_ORDERS
    ]


class CommitCheckingPublisher(InMemoryEventPublisher):
    """Fails the use case if it publishes anything that is not committed to the event log yet."""

    def __init__(self, store: InMemoryStore) -> None:
        super().__init__()
        self.store = store

    async def publish(self, events: Sequence[CaseEvent]) -> None:
        committed = {event.id: event for event in self.store.events}
        for event in events:
            assert event.sequence is not None, f"published before commit: {event}"
            assert committed.get(event.id) == event, f"published but not committed: {event}"
        await super().publish(events)


def opened_case(
    *,
    customer_id: str = ALICE_ID,
    subject: str = "Help",
    description: str = "Please",
    category: CaseCategory = CaseCategory.OTHER,
    priority: CasePriority = CasePriority.NORMAL,
    order_id: str | None = None,
    now: datetime = NOW,
    rules: CaseRules | None = None,
) -> SupportCase:
    """A case opened by the aggregate (its CASE_OPENED event pending), with defaults for what
    the test does not look at."""
    return SupportCase.open(
        customer_id=customer_id,
        subject=subject,
        description=description,
        category=category,
        priority=priority,
        order_id=order_id,
        now=now,
        rules=rules or CaseRules(),
    )


def principal(user_id: str, role: Role) -> Principal:
    return Principal(user_id=user_id, role=role, session_id=f"session-{user_id}")


@dataclass
class World:
    """Everything a use-case test touches, wired like the composition root would."""

    clock: FixedClock
    store: InMemoryStore
    orders: FakeOrderSystem
    publisher: InMemoryEventPublisher
    access_tokens: FakeAccessTokens
    services: Services
    alice: Principal = field(default_factory=lambda: principal(ALICE_ID, Role.CUSTOMER))
    bob: Principal = field(default_factory=lambda: principal(BOB_ID, Role.CUSTOMER))
    agent: Principal = field(default_factory=lambda: principal(AGENT_ID, Role.AGENT))
    sam: Principal = field(default_factory=lambda: principal(SAM_ID, Role.AGENT))
    admin: Principal = field(default_factory=lambda: principal(ADMIN_ID, Role.ADMIN))


def make_world(
    now: datetime = NOW,
    *,
    refund_policy: RefundPolicy | None = None,
    case_rules: CaseRules | None = None,
    auth_rules: AuthRules | None = None,
) -> World:
    clock = FixedClock(now)
    store = InMemoryStore()
    for user in demo_users(now):
        store.add_user(user)
    orders = FakeOrderSystem(demo_orders(now), clock=clock)
    publisher = CommitCheckingPublisher(store)
    access_tokens = FakeAccessTokens(clock)
    services = Services(
        uow=InMemoryUnitOfWorkFactory(store),
        reads=InMemoryReadStore(store),
        clock=clock,
        orders=orders,
        publisher=publisher,
        passwords=FakePasswordHasher(),
        access_tokens=access_tokens,
        rate_limiter=InProcessRateLimiter(time_func=lambda: clock.now().timestamp()),
        new_refresh_token=new_refresh_token,
        hash_refresh_token=hash_refresh_token,
        case_rules=case_rules or CaseRules(),
        refund_policy=refund_policy or RefundPolicy(),
        auth_rules=auth_rules or AuthRules(),
    )
    return World(clock, store, orders, publisher, access_tokens, services)

"""Test data for the SQL adapter tests: domain objects with unique ids and aware datetimes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from domain.auth import RefreshToken
from domain.cases import CaseCategory, CasePriority, CaseRules, Message, SupportCase
from domain.money import Money
from domain.refunds import Refund, RefundLine, RefundReason, RefundStatus
from domain.users import Role, User

T0 = datetime(2030, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
# Same instants, written in another offset: what goes in as +02:00 must come back equal, in UTC.
CEST = timezone(timedelta(hours=2))


def uid() -> str:
    return str(uuid.uuid4())


def make_user(role: Role = Role.CUSTOMER, *, name: str | None = None, **overrides: object) -> User:
    user_id = uid()
    values: dict[str, object] = {
        "id": user_id,
        "email": f"{user_id}@example.com",
        "name": name or f"User {user_id[:8]}",
        "role": role,
        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        "created_at": T0,
        "external_customer_id": f"cust-{user_id[:8]}" if role is Role.CUSTOMER else None,
        "active": True,
    }
    values.update(overrides)
    return User(**values)  # type: ignore[arg-type]


def make_case(
    customer: User,
    *,
    now: datetime = T0,
    subject: str = "Parcel arrived damaged",
    priority: CasePriority = CasePriority.NORMAL,
    order_id: str | None = None,
    order_number: str | None = None,
    category: CaseCategory = CaseCategory.PRODUCT_ISSUE,
    description: str = "The box was crushed and the mug inside is broken.",
) -> SupportCase:
    return SupportCase.open(
        customer_id=customer.id,
        subject=subject,
        description=description,
        category=category,
        priority=priority,
        order_id=order_id,
        order_number=order_number,
        now=now,
        rules=CaseRules(),
    )


def make_message(
    case: SupportCase, author: User, *, now: datetime = T0, internal: bool = False, body: str = "Hi"
) -> Message:
    return Message(
        id=uid(),
        case_id=case.id,
        author_id=author.id,
        body=body,
        internal=internal,
        created_at=now,
    )


def make_refund(
    case: SupportCase,
    *,
    amount: int = 1999,
    currency: str = "USD",
    status: RefundStatus = RefundStatus.REQUESTED,
    order_id: str | None = None,
    now: datetime = T0,
    decided_at: datetime | None = None,
) -> Refund:
    return Refund(
        id=uid(),
        case_id=case.id,
        order_id=order_id or case.order_id or f"ord-{uid()[:8]}",
        customer_id=case.customer_id,
        amount=Money(amount, currency),
        reason=RefundReason.DAMAGED,
        status=status,
        created_at=now,
        updated_at=now,
        requested_by_id=case.customer_id,
        decided_at=decided_at,
        lines=(RefundLine("line-1", 1),),
    )


def make_refresh_token(user: User, *, family_id: str | None = None) -> RefreshToken:
    return RefreshToken(
        id=uid(),
        family_id=family_id or uid(),
        user_id=user.id,
        token_hash=uuid.uuid4().hex + uuid.uuid4().hex,
        created_at=T0,
        expires_at=T0 + timedelta(days=14),
    )

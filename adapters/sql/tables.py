"""The stored shape of the domain: one SQLModel table class per stored thing.

Conventions
- Ids are strings (uuid4 text for our own ids; the order system's ids are opaque strings).
- Enum values are stored as text and guarded by CHECK constraints (no native enum types: they make
  migrations painful and SQLite has none).
- Datetimes are `UtcDateTime`: TIMESTAMP WITH TIME ZONE on PostgreSQL; on SQLite (which keeps no
  offset) they are stored as UTC and come back as aware UTC datetimes.
- Text lengths are VARCHAR(n) (enforced by PostgreSQL) and, for user-supplied text, also a CHECK on
  length() so SQLite enforces them too.
- Money is integer minor units (BIGINT) plus an ISO 4217 code.

Repositories and the read store use the Core `Table` objects exported at the bottom (`users`,
`support_cases`, ...), not ORM instances: no identity map, explicit SQL.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from domain.cases import BODY_MAX, SUBJECT_MAX, CaseCategory, CasePriority, CaseStatus
from domain.events import CaseEventType
from domain.refunds import NOTE_MAX, RefundApproval, RefundReason, RefundStatus
from domain.users import Role

# Constraint names must be deterministic (Alembic batch mode on SQLite and downgrades need them).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LEN = 64
EMAIL_LEN = 320
NAME_LEN = 200
HASH_LEN = 255
CURRENCY_LEN = 3
ENUM_LEN = 32
SUMMARY_LEN = 1000
EVENT_VALUE_LEN = 200
FAILURE_REASON_LEN = 1000
GATEWAY_REFUND_ID_LEN = 255


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored as UTC; naive datetimes are refused on the way in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime given to a timezone-aware column: {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite keeps no offset: the stored value is UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# -- column helpers (each call builds a new Column: a Column belongs to exactly one table) ------


def _col(type_: Any, *args: Any, nullable: bool = False, **kwargs: Any) -> Any:
    return Field(sa_column=Column(type_, *args, nullable=nullable, **kwargs))


def _id(*, primary_key: bool = False, nullable: bool = False, **kwargs: Any) -> Any:
    return _col(String(ID_LEN), primary_key=primary_key, nullable=nullable, **kwargs)


def _fk(target: str, *, nullable: bool = False, index: bool = False) -> Any:
    return _col(String(ID_LEN), ForeignKey(target), nullable=nullable, index=index)


def _ts(*, nullable: bool = False) -> Any:
    return _col(UtcDateTime(), nullable=nullable)


def _text(length: int, *, nullable: bool = False) -> Any:
    return _col(String(length), nullable=nullable)


def _enum_check(column: str, values: type[enum.StrEnum], *, name: str | None = None) -> Any:
    listed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name or f"{column}_valid")


def _length_check(column: str, max_length: int, *, min_length: int = 1) -> Any:
    return CheckConstraint(
        f"length({column}) BETWEEN {min_length} AND {max_length}", name=f"{column}_length"
    )


# -- tables ---------------------------------------------------------------------------------


class UserRow(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        _enum_check("role", Role),
        _length_check("email", EMAIL_LEN, min_length=3),
        _length_check("name", NAME_LEN),
    )

    id: str = _id(primary_key=True)
    email: str = _col(String(EMAIL_LEN), unique=True)
    name: str = _text(NAME_LEN)
    role: str = _text(ENUM_LEN)
    password_hash: str = _text(HASH_LEN)
    external_customer_id: str | None = _col(String(ID_LEN), nullable=True, index=True)
    active: bool = _col(Boolean(), default=True)
    created_at: datetime = _ts()


class CaseNumberCounterRow(SQLModel, table=True):
    """One row (id = 1): the last human case number handed out (UPDATE ... RETURNING)."""

    __tablename__ = "case_number_counter"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("value >= 0", name="value_non_negative"),
    )

    id: int = _col(Integer(), primary_key=True, autoincrement=False)
    value: int = _col(Integer())


class CaseRow(SQLModel, table=True):
    __tablename__ = "support_cases"
    __table_args__ = (
        _enum_check("category", CaseCategory),
        _enum_check("priority", CasePriority),
        _enum_check("status", CaseStatus),
        _length_check("subject", SUBJECT_MAX),
        _length_check("description", BODY_MAX),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("paused_seconds >= 0", name="paused_seconds_non_negative"),
        CheckConstraint("version >= 0", name="version_non_negative"),
        # The queue: newest first overall, and within a status / an assignee / a customer.
        # Plain ascending composites: both databases scan them backwards for `DESC` order.
        Index("ix_support_cases_created_at_id", "created_at", "id"),
        Index("ix_support_cases_status_created_at", "status", "created_at", "id"),
        Index("ix_support_cases_assignee_created_at", "assignee_id", "created_at", "id"),
        Index("ix_support_cases_customer_created_at", "customer_id", "created_at", "id"),
        # "Due soonest" (SupportCase.due_at, then id), keyset-paginated like the others.
        Index("ix_support_cases_due_at_id", "due_at", "id"),
    )

    id: str = _id(primary_key=True)
    number: int = _col(Integer(), unique=True)
    subject: str = _text(SUBJECT_MAX)
    description: str = _text(BODY_MAX)
    category: str = _text(ENUM_LEN)
    priority: str = _text(ENUM_LEN)
    status: str = _text(ENUM_LEN)
    customer_id: str = _fk("users.id")
    assignee_id: str | None = _fk("users.id", nullable=True)
    order_id: str | None = _col(String(ID_LEN), nullable=True, index=True)
    # The order's number when the case was opened (SupportCase.order_number): searchable.
    order_number: str | None = _col(String(ID_LEN), nullable=True, index=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    # SupportCase.due_at (derived, stored for sorting): the next SLA deadline the case owes.
    due_at: datetime = _ts()
    first_response_due_at: datetime = _ts()
    resolution_due_at: datetime = _ts()
    first_responded_at: datetime | None = _ts(nullable=True)
    resolved_at: datetime | None = _ts(nullable=True)
    closed_at: datetime | None = _ts(nullable=True)
    paused_since: datetime | None = _ts(nullable=True)
    paused_seconds: int = _col(Integer(), default=0)
    # Why the SLA clock is paused now (a sorted JSON list; see SupportCase.sla_pause_reasons).
    sla_pause_reasons: list[str] = _col(JSON())
    version: int = _col(Integer(), default=0)


class MessageRow(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (
        _length_check("body", BODY_MAX),
        Index("ix_messages_case_created_at", "case_id", "created_at", "id"),
    )

    id: str = _id(primary_key=True)
    case_id: str = _fk("support_cases.id")
    author_id: str = _fk("users.id")
    body: str = _text(BODY_MAX)
    internal: bool = _col(Boolean(), default=False)
    created_at: datetime = _ts()


class RefundRow(SQLModel, table=True):
    __tablename__ = "refunds"
    __table_args__ = (
        _enum_check("status", RefundStatus),
        _enum_check("reason", RefundReason),
        CheckConstraint(
            "approval IS NULL OR approval IN ("
            + ", ".join(f"'{a.value}'" for a in RefundApproval)
            + ")",
            name="approval_valid",
        ),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("length(currency) = 3", name="currency_length"),
        CheckConstraint("version >= 0", name="version_non_negative"),
        _length_check("note", NOTE_MAX),
        _length_check("decision_note", NOTE_MAX),
        Index("ix_refunds_created_at_id", "created_at", "id"),
        Index("ix_refunds_status_created_at", "status", "created_at", "id"),
        Index("ix_refunds_customer_created_at", "customer_id", "created_at"),
    )

    id: str = _id(primary_key=True)
    case_id: str = _fk("support_cases.id", index=True)
    order_id: str = _col(String(ID_LEN), index=True)
    customer_id: str = _fk("users.id")
    requested_by_id: str = _fk("users.id")
    amount_minor: int = _col(BigInteger())
    currency: str = _text(CURRENCY_LEN)
    reason: str = _text(ENUM_LEN)
    status: str = _text(ENUM_LEN)
    note: str | None = _text(NOTE_MAX, nullable=True)
    # [{"line_id": ..., "quantity": ...}]: always read and written with the refund, never queried.
    lines: list[dict[str, Any]] = _col(JSON())
    include_shipping: bool = _col(Boolean(), default=False)
    approval: str | None = _text(ENUM_LEN, nullable=True)
    decided_by_id: str | None = _fk("users.id", nullable=True)
    decision_note: str | None = _text(NOTE_MAX, nullable=True)
    decided_at: datetime | None = _ts(nullable=True)
    failure_reason: str | None = _text(FAILURE_REASON_LEN, nullable=True)
    # Execution (refund_jobs): the current attempt, and the gateway's id once it succeeded.
    attempt: int = _col(Integer(), default=1)
    gateway_refund_id: str | None = _text(GATEWAY_REFUND_ID_LEN, nullable=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    version: int = _col(Integer(), default=0)


class CaseEventRow(SQLModel, table=True):
    """The append-only timeline; `sequence` is the log position (and the cursor)."""

    __tablename__ = "case_events"
    __table_args__ = (
        _enum_check("type", CaseEventType),
        Index("ix_case_events_case_sequence", "case_id", "sequence"),
        # SQLite: AUTOINCREMENT, so a sequence number is never handed out twice.
        {"sqlite_autoincrement": True},
    )

    sequence: int | None = _col(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    id: str = _col(String(ID_LEN), unique=True)
    case_id: str = _fk("support_cases.id")
    type: str = _text(ENUM_LEN)
    actor_id: str | None = _fk("users.id", nullable=True)
    occurred_at: datetime = _ts()
    summary: str = _text(SUMMARY_LEN)
    internal: bool = _col(Boolean(), default=False)
    message_id: str | None = _fk("messages.id", nullable=True)
    refund_id: str | None = _fk("refunds.id", nullable=True)
    before: str | None = _text(EVENT_VALUE_LEN, nullable=True)
    after: str | None = _text(EVENT_VALUE_LEN, nullable=True)


class RefundLedgerRow(SQLModel, table=True):
    """Money reserved per order (requested, approved, processing or paid refunds).

    The over-refund guard lives here: a conditional UPDATE refuses to go over the total, and the
    CHECK constraint refuses it even if some code path forgot the condition."""

    __tablename__ = "refund_ledger"
    __table_args__ = (
        CheckConstraint(
            "reserved_minor >= 0 AND reserved_minor <= total_minor", name="reserved_within_total"
        ),
        CheckConstraint("total_minor >= 0", name="total_non_negative"),
        CheckConstraint("length(currency) = 3", name="currency_length"),
    )

    order_id: str = _id(primary_key=True)
    currency: str = _text(CURRENCY_LEN)
    total_minor: int = _col(BigInteger())
    reserved_minor: int = _col(BigInteger(), default=0)


class RefreshTokenRow(SQLModel, table=True):
    __tablename__ = "refresh_tokens"

    id: str = _id(primary_key=True)
    family_id: str = _col(String(ID_LEN), index=True)
    user_id: str = _fk("users.id", index=True)
    token_hash: str = _col(String(128), unique=True)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    used_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


users = _table(UserRow)
case_number_counter = _table(CaseNumberCounterRow)
support_cases = _table(CaseRow)
messages = _table(MessageRow)
refunds = _table(RefundRow)
case_events = _table(CaseEventRow)
refund_ledger = _table(RefundLedgerRow)
refresh_tokens = _table(RefreshTokenRow)

metadata = SQLModel.metadata

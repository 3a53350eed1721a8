"""Tables of the refund execution feature (kept apart from tables.py: features evolve separately).

- `refund_jobs`: the outbox of refund execution (domain.refund_jobs), one row per (refund,
  attempt), written in the transaction of the decision that makes the refund payable. Workers
  lease rows (lease_owner, lease_until); `run_after` is when a row may run (again).
- `idempotency_keys`: per caller and operation, the idempotency keys of mutations with the
  fingerprint of their input and the id of their first result (domain.idempotency).

The columns of the refunds table that execution needs (attempt, gateway_refund_id) and the SLA
pause reasons of cases live on those tables (tables.py); migration 0002 adds them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlmodel import SQLModel

from adapters.sql.tables import (
    CURRENCY_LEN,
    ENUM_LEN,
    ID_LEN,
    _col,
    _enum_check,
    _table,
    _ts,
)
from domain.idempotency import KEY_MAX
from domain.refund_jobs import LAST_ERROR_MAX, RefundJobStatus
from domain.request_context import REQUEST_ID_MAX

PAYMENT_REFERENCE_LEN = 255
LEASE_OWNER_LEN = 200
OPERATION_LEN = 64
FINGERPRINT_LEN = 64  # sha256, hex


class RefundJobRow(SQLModel, table=True):
    __tablename__ = "refund_jobs"
    __table_args__ = (
        _enum_check("status", RefundJobStatus),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("length(currency) = 3", name="currency_length"),
        CheckConstraint(
            f"length(payment_reference) BETWEEN 1 AND {PAYMENT_REFERENCE_LEN}",
            name="payment_reference_length",
        ),
        CheckConstraint("claims >= 0 AND tries >= 0", name="counters_non_negative"),
        # A lease has an owner and an end, or neither.
        CheckConstraint(
            "(lease_owner IS NULL) = (lease_until IS NULL)", name="lease_owner_and_until"
        ),
        # The claim query: due PENDING jobs, oldest first.
        Index("ix_refund_jobs_status_run_after", "status", "run_after"),
    )

    refund_id: str = _col(String(ID_LEN), ForeignKey("refunds.id"), primary_key=True)
    attempt: int = _col(Integer(), primary_key=True, autoincrement=False)
    status: str = _col(String(ENUM_LEN))
    payment_reference: str = _col(String(PAYMENT_REFERENCE_LEN))
    amount_minor: int = _col(BigInteger())
    currency: str = _col(String(CURRENCY_LEN))
    run_after: datetime = _ts()
    lease_owner: str | None = _col(String(LEASE_OWNER_LEN), nullable=True)
    lease_until: datetime | None = _ts(nullable=True)
    claims: int = _col(Integer(), default=0)
    tries: int = _col(Integer(), default=0)
    first_claimed_at: datetime | None = _ts(nullable=True)
    finished_at: datetime | None = _ts(nullable=True)
    last_error: str | None = _col(String(LAST_ERROR_MAX), nullable=True)
    request_id: str | None = _col(String(REQUEST_ID_MAX), nullable=True)  # who caused it
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class IdempotencyKeyRow(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        CheckConstraint(
            f"length(idempotency_key) BETWEEN 1 AND {KEY_MAX}", name="idempotency_key_length"
        ),
        CheckConstraint(f"length(fingerprint) = {FINGERPRINT_LEN}", name="fingerprint_length"),
    )

    scope: str = _col(String(ID_LEN), ForeignKey("users.id"), primary_key=True)  # caller's id
    operation: str = _col(String(OPERATION_LEN), primary_key=True)
    idempotency_key: str = _col(String(KEY_MAX), primary_key=True)
    fingerprint: str = _col(String(FINGERPRINT_LEN))
    result_id: str = _col(String(ID_LEN))
    created_at: datetime = _ts()


refund_jobs = _table(RefundJobRow)
idempotency_keys = _table(IdempotencyKeyRow)

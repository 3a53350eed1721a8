"""Tables of outbound webhooks (domain.outbound_webhooks), kept apart from tables.py.

- `webhook_endpoints`: the shop's endpoints an admin registered: URL, chosen events (a JSON list
  of event names), the signing secret (and the previous one with the end of its grace period:
  secrets must be readable to sign, so they are stored as they are, like the order system's
  inbound secret in the settings), active/disabled with the reason, and the count of
  consecutive failed attempts that disables it.
- `webhook_deliveries`: the outbox, one row per (message, endpoint), written by the unit of work
  in the transaction of the change that caused the message; the webhook worker leases rows
  (lease_owner, lease_until) and records every attempt's outcome on them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlmodel import SQLModel

from adapters.sql.tables import ENUM_LEN, ID_LEN, _col, _enum_check, _length_check, _table, _ts
from domain.outbound_webhooks import (
    DESCRIPTION_MAX,
    DISABLED_REASON_MAX,
    ERROR_MAX,
    RESPONSE_EXCERPT_MAX,
    URL_MAX,
    WebhookDeliveryState,
    WebhookEvent,
)

SECRET_LEN = 100
MESSAGE_ID_LEN = 64
LEASE_OWNER_LEN = 200


class WebhookEndpointRow(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        _length_check("url", URL_MAX),
        _length_check("description", DESCRIPTION_MAX, min_length=0),
        CheckConstraint("consecutive_failures >= 0", name="failures_non_negative"),
    )

    id: str = _col(String(ID_LEN), primary_key=True)
    url: str = _col(String(URL_MAX))
    description: str = _col(String(DESCRIPTION_MAX), default="")
    events: list[str] = _col(JSON())
    secret: str = _col(String(SECRET_LEN))
    previous_secret: str | None = _col(String(SECRET_LEN), nullable=True)
    previous_secret_expires_at: datetime | None = _ts(nullable=True)
    active: bool = _col(Boolean(), default=True)
    disabled_reason: str | None = _col(String(DISABLED_REASON_MAX), nullable=True)
    disabled_at: datetime | None = _ts(nullable=True)
    consecutive_failures: int = _col(Integer(), default=0)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class WebhookDeliveryRow(SQLModel, table=True):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        _enum_check("state", WebhookDeliveryState),
        _enum_check("event_type", WebhookEvent),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint(
            "(lease_owner IS NULL) = (lease_until IS NULL)", name="lease_owner_and_until"
        ),
        # The claim query: due PENDING deliveries, the one due first first.
        Index("ix_webhook_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
        # The admin's list, newest first (per endpoint too).
        Index("ix_webhook_deliveries_created_at_id", "created_at", "id"),
        Index("ix_webhook_deliveries_endpoint_created_at", "endpoint_id", "created_at"),
    )

    id: str = _col(String(ID_LEN), primary_key=True)
    endpoint_id: str = _col(String(ID_LEN), ForeignKey("webhook_endpoints.id"))
    message_id: str = _col(String(MESSAGE_ID_LEN))
    event_type: str = _col(String(ENUM_LEN))
    payload: str = _col(Text())
    # Informative (not a foreign key: retention may prune the case, the delivery stays).
    case_id: str | None = _col(String(ID_LEN), nullable=True)
    resend_of: str | None = _col(String(ID_LEN), nullable=True)
    state: str = _col(String(ENUM_LEN))
    attempts: int = _col(Integer(), default=0)
    next_attempt_at: datetime = _ts()
    lease_owner: str | None = _col(String(LEASE_OWNER_LEN), nullable=True)
    lease_until: datetime | None = _ts(nullable=True)
    last_attempt_at: datetime | None = _ts(nullable=True)
    last_status: int | None = _col(Integer(), nullable=True)
    last_response: str | None = _col(String(RESPONSE_EXCERPT_MAX), nullable=True)
    last_error: str | None = _col(String(ERROR_MAX), nullable=True)
    delivered_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()


webhook_endpoints = _table(WebhookEndpointRow)
webhook_deliveries = _table(WebhookDeliveryRow)

"""Tables of the order webhooks feature (kept apart from tables.py: features evolve separately).

- `order_webhook_deliveries`: one row per processed delivery id (Standard Webhooks `webhook-id`),
  written in the same transaction as the delivery's effect, kept so that a redelivery, however
  late, has no second effect.
- `order_versions`: per order, the newest version (the order system's updated_at, in
  microseconds since the epoch) and status the service has applied, so that an event that
  arrives after a newer one never overwrites newer state.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, String, Text
from sqlmodel import SQLModel

from adapters.sql.tables import ENUM_LEN, ID_LEN, _col, _enum_check, _id, _table, _ts
from domain.order_events import DELIVERY_ID_MAX
from domain.orders import OrderStatus

EVENT_TYPE_LEN = 64


class OrderWebhookDeliveryRow(SQLModel, table=True):
    __tablename__ = "order_webhook_deliveries"
    __table_args__ = (
        CheckConstraint(
            f"length(delivery_id) BETWEEN 1 AND {DELIVERY_ID_MAX}", name="delivery_id_length"
        ),
        Index("ix_order_webhook_deliveries_order_received", "order_id", "received_at"),
    )

    delivery_id: str = _col(String(DELIVERY_ID_MAX), primary_key=True)
    event_type: str = _col(String(EVENT_TYPE_LEN))
    order_id: str | None = _col(String(ID_LEN), nullable=True)
    received_at: datetime = _ts()
    # The verified body (for replays; at most ORDER_WEBHOOK_MAX_BODY_BYTES); null before 0010.
    payload: str | None = _col(Text(), nullable=True)


class OrderVersionRow(SQLModel, table=True):
    __tablename__ = "order_versions"
    __table_args__ = (
        _enum_check("status", OrderStatus),
        CheckConstraint("version >= 0", name="version_non_negative"),
    )

    order_id: str = _id(primary_key=True)
    version: int = _col(BigInteger())
    status: str = _col(String(ENUM_LEN))
    changed_at: datetime = _ts()


order_webhook_deliveries = _table(OrderWebhookDeliveryRow)
order_versions = _table(OrderVersionRow)

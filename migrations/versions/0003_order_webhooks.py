"""Order-system webhooks: deliveries and per-order versions

- order_webhook_deliveries: every processed delivery id (Standard Webhooks `webhook-id`), written
  in the transaction of the delivery's effect, so that a redelivery has no second effect.
- order_versions: the newest version (and status) applied per order, so that an event arriving
  after a newer one never overwrites newer state.

Written to match adapters/sql/tables_order_webhooks.py (`alembic check` finds no drift).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    op.create_table(
        "order_webhook_deliveries",
        sa.Column("delivery_id", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "length(delivery_id) BETWEEN 1 AND 128",
            name=op.f("ck_order_webhook_deliveries_delivery_id_length"),
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_order_webhook_deliveries")),
    )
    with op.batch_alter_table("order_webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_order_webhook_deliveries_order_received",
            ["order_id", "received_at"],
            unique=False,
        )

    op.create_table(
        "order_versions",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('PLACED', 'SHIPPED', 'DELIVERED', 'CANCELLED')",
            name=op.f("ck_order_versions_status_valid"),
        ),
        sa.CheckConstraint("version >= 0", name=op.f("ck_order_versions_version_non_negative")),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_versions")),
    )


def downgrade() -> None:
    op.drop_table("order_versions")
    with op.batch_alter_table("order_webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_order_webhook_deliveries_order_received")
    op.drop_table("order_webhook_deliveries")

"""Refund execution: outbox jobs, refund attempts, idempotency keys

Revision ID: 0002
Revises: 0001

- refund_jobs: the refund outbox (one row per refund attempt, leased by workers).
- idempotency_keys: idempotency keys of mutations (requestRefund), per caller.
- refunds.attempt / refunds.gateway_refund_id: the current attempt and the gateway's refund id.
- support_cases.sla_pause_reasons: why the SLA clock is paused (waiting on the customer, refunds
  being executed); filled in for cases that are waiting on the customer now.
- case_events.type: two new event types, REFUND_QUEUED and REFUND_RETRIED. SQLite cannot alter a
  CHECK constraint: the table is rebuilt (batch "move and copy", AUTOINCREMENT kept).
  Downgrading deletes the events of those two types.
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers.checks import in_list
from migrations.helpers.history import (
    CASE_EVENT_TYPES_0001,
    CASE_EVENT_TYPES_0002,
    REFUND_EXECUTION_EVENT_TYPES,
    set_case_event_types,
)

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    op.create_table(
        "refund_jobs",
        sa.Column("refund_id", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("payment_reference", sa.String(length=255), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("first_claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('PENDING', 'DONE', 'DEAD')", name=op.f("ck_refund_jobs_status_valid")
        ),
        sa.CheckConstraint("attempt >= 1", name=op.f("ck_refund_jobs_attempt_positive")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_refund_jobs_amount_positive")),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_refund_jobs_currency_length")),
        sa.CheckConstraint(
            "length(payment_reference) BETWEEN 1 AND 255",
            name=op.f("ck_refund_jobs_payment_reference_length"),
        ),
        sa.CheckConstraint(
            "claims >= 0 AND tries >= 0", name=op.f("ck_refund_jobs_counters_non_negative")
        ),
        sa.CheckConstraint(
            "(lease_owner IS NULL) = (lease_until IS NULL)",
            name=op.f("ck_refund_jobs_lease_owner_and_until"),
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_refund_jobs_refund_id_refunds")
        ),
        sa.PrimaryKeyConstraint("refund_id", "attempt", name=op.f("pk_refund_jobs")),
    )
    with op.batch_alter_table("refund_jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_refund_jobs_status_run_after", ["status", "run_after"], unique=False
        )

    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "length(idempotency_key) BETWEEN 1 AND 255",
            name=op.f("ck_idempotency_keys_idempotency_key_length"),
        ),
        sa.CheckConstraint(
            "length(fingerprint) = 64", name=op.f("ck_idempotency_keys_fingerprint_length")
        ),
        sa.ForeignKeyConstraint(
            ["scope"], ["users.id"], name=op.f("fk_idempotency_keys_scope_users")
        ),
        sa.PrimaryKeyConstraint(
            "scope", "operation", "idempotency_key", name=op.f("pk_idempotency_keys")
        ),
    )

    # New columns of existing tables: plain ADD COLUMN on both backends (no table rebuild).
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attempt", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(sa.Column("gateway_refund_id", sa.String(length=255), nullable=True))
    with op.batch_alter_table("support_cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sla_pause_reasons", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )
    # Cases paused while waiting on the customer keep that reason explicitly.
    op.execute(
        "UPDATE support_cases SET sla_pause_reasons = '[\"WAITING_ON_CUSTOMER\"]' "
        "WHERE status = 'WAITING_ON_CUSTOMER' AND paused_since IS NOT NULL"
    )

    set_case_event_types(CASE_EVENT_TYPES_0002)


def downgrade() -> None:
    op.execute("DELETE FROM case_events WHERE " + in_list("type", REFUND_EXECUTION_EVENT_TYPES))
    set_case_event_types(CASE_EVENT_TYPES_0001)

    op.drop_table("idempotency_keys")
    with op.batch_alter_table("refund_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_refund_jobs_status_run_after")
    op.drop_table("refund_jobs")

    with op.batch_alter_table("support_cases", schema=None) as batch_op:
        batch_op.drop_column("sla_pause_reasons")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_column("gateway_refund_id")
        batch_op.drop_column("attempt")

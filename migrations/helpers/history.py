"""Tables and enum values as earlier migrations left them, for the migrations that change them.

These describe the past, not adapters/sql/tables*.py: a released shape is never edited; a
migration that changes one of these tables differently gets its own definition.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.helpers.checks import in_list, replace_check

# -- case_events.type (CHECK ck_case_events_type_valid) -------------------------------------

CASE_EVENT_TYPE_CHECK = "ck_case_events_type_valid"
REFUND_EXECUTION_EVENT_TYPES = ("REFUND_QUEUED", "REFUND_RETRIED")  # added by 0002
CASE_EVENT_TYPES_0002 = (
    "CASE_OPENED",
    "MESSAGE_POSTED",
    "STATUS_CHANGED",
    "PRIORITY_CHANGED",
    "ASSIGNED",
    "REFUND_REQUESTED",
    "REFUND_APPROVED",
    "REFUND_REJECTED",
    "REFUND_CANCELLED",
    "REFUND_QUEUED",
    "REFUND_PROCESSING",
    "REFUND_SUCCEEDED",
    "REFUND_FAILED",
    "REFUND_RETRIED",
    "ORDER_UPDATED",
    "SLA_BREACHED",
)
CASE_EVENT_TYPES_0001 = tuple(
    t for t in CASE_EVENT_TYPES_0002 if t not in REFUND_EXECUTION_EVENT_TYPES
)
CASE_EVENT_TYPES_0011 = (*CASE_EVENT_TYPES_0002, "CASE_RATED")


def case_events_elements(types: Sequence[str]) -> list[sa.schema.SchemaItem]:
    """Columns and constraints of case_events as 0001 created it (unchanged up to 0011 at least)
    with the given event types: for op.create_table and for SQLite's copy."""
    return _log_elements(
        "case_events",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("refund_id", sa.String(length=64), nullable=True),
        sa.Column("before", sa.String(length=200), nullable=True),
        sa.Column("after", sa.String(length=200), nullable=True),
        sa.CheckConstraint(in_list("type", types), name=op.f(CASE_EVENT_TYPE_CHECK)),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_case_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["support_cases.id"], name=op.f("fk_case_events_case_id_support_cases")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_case_events_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_case_events_refund_id_refunds")
        ),
    )


def set_case_event_types(types: Sequence[str]) -> None:
    """case_events.type accepts exactly `types` (its CHECK is replaced: replace_check)."""
    index = sa.Index("ix_case_events_case_sequence", "case_id", "sequence")
    table = _log_table("case_events", case_events_elements(types), index)
    replace_check(table, CASE_EVENT_TYPE_CHECK)


# -- audit_log.action (CHECK ck_audit_log_action_valid) -------------------------------------

AUDIT_ACTION_CHECK = "ck_audit_log_action_valid"
AUDIT_ACTIONS_0005 = (
    "USER_CREATED",
    "USER_ROLE_CHANGED",
    "USER_DEACTIVATED",
    "USER_REACTIVATED",
    "USER_PASSWORD_RESET",
)
OPERATIONS_AUDIT_ACTIONS = ("REFUND_JOB_RETRIED", "ORDER_WEBHOOK_REPLAYED")  # added by 0010
AUDIT_ACTIONS_0010 = (*AUDIT_ACTIONS_0005, *OPERATIONS_AUDIT_ACTIONS)
WEBHOOK_AUDIT_ACTIONS = (  # added by 0012
    "WEBHOOK_ENDPOINT_REGISTERED",
    "WEBHOOK_ENDPOINT_UPDATED",
    "WEBHOOK_SECRET_ROTATED",
    "WEBHOOK_DELIVERY_RESENT",
)
AUDIT_ACTIONS_0012 = (*AUDIT_ACTIONS_0010, *WEBHOOK_AUDIT_ACTIONS)


def audit_log_elements(actions: Sequence[str]) -> list[sa.schema.SchemaItem]:
    """Columns and constraints of audit_log as 0005 created it (unchanged up to 0012 at least)
    with the given actions: for op.create_table and for SQLite's copy."""
    return _log_elements(
        "audit_log",
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target_user_id", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.CheckConstraint(in_list("action", actions), name=op.f(AUDIT_ACTION_CHECK)),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_log_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["target_user_id"], ["users.id"], name=op.f("fk_audit_log_target_user_id_users")
        ),
    )


def set_audit_actions(actions: Sequence[str]) -> None:
    """audit_log.action accepts exactly `actions` (its CHECK is replaced: replace_check)."""
    index = sa.Index("ix_audit_log_target_user_id", "target_user_id")
    replace_check(_log_table("audit_log", audit_log_elements(actions), index), AUDIT_ACTION_CHECK)


def _log_elements(table: str, *elements: sa.schema.SchemaItem) -> list[sa.schema.SchemaItem]:
    """A log table: its position `sequence` (BIGINT, but INTEGER on SQLite, which autoincrements
    only an INTEGER PRIMARY KEY) and a unique `id`, around the table's own `elements`."""
    return [
        sa.Column(
            "sequence",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=64), nullable=False),
        *elements,
        sa.PrimaryKeyConstraint("sequence", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("id", name=op.f(f"uq_{table}_id")),
    ]


def _log_table(name: str, elements: list[sa.schema.SchemaItem], index: sa.Index) -> sa.Table:
    """A whole log table (AUTOINCREMENT sequence) with its index: what replace_check copies."""
    return sa.Table(name, sa.MetaData(), *elements, index, sqlite_autoincrement=True)

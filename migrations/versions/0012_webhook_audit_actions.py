"""Audit actions of the outbound webhook admin mutations

`audit_log.action` also accepts WEBHOOK_ENDPOINT_REGISTERED, WEBHOOK_ENDPOINT_UPDATED,
WEBHOOK_SECRET_ROTATED and WEBHOOK_DELIVERY_RESENT (built on the list as it is at 0011).
PostgreSQL rewrites the CHECK; SQLite copies the table (keeping its AUTOINCREMENT counter and its
index), as 0010 does. Downgrading deletes the entries of these actions.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 09:40:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ACTION_CHECK = "ck_audit_log_action_valid"
# The list as it is at 0011 (0010 added the two operations actions).
BEFORE = (
    "USER_CREATED",
    "USER_ROLE_CHANGED",
    "USER_DEACTIVATED",
    "USER_REACTIVATED",
    "USER_PASSWORD_RESET",
    "REFUND_JOB_RETRIED",
    "ORDER_WEBHOOK_REPLAYED",
)
ADDED = (
    "WEBHOOK_ENDPOINT_REGISTERED",
    "WEBHOOK_ENDPOINT_UPDATED",
    "WEBHOOK_SECRET_ROTATED",
    "WEBHOOK_DELIVERY_RESENT",
)
AFTER = (*BEFORE, *ADDED)


def _action_check(actions: Sequence[str]) -> str:
    return "action IN (" + ", ".join(f"'{a}'" for a in actions) + ")"


def _audit_log_table(actions: Sequence[str]) -> sa.Table:
    return sa.Table(
        "audit_log",
        sa.MetaData(),
        sa.Column("sequence", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target_user_id", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.CheckConstraint(_action_check(actions), name=op.f(ACTION_CHECK)),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_audit_log_actor_id_users")),
        sa.ForeignKeyConstraint(["target_user_id"], ["users.id"], name=op.f("fk_audit_log_target_user_id_users")),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("id", name=op.f("uq_audit_log_id")),
        sa.Index("ix_audit_log_target_user_id", "target_user_id"),
        sqlite_autoincrement=True,
    )


def _set_actions(actions: Sequence[str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        counter = bind.execute(
            sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'")
        ).scalar()
        with op.batch_alter_table(
            "audit_log",
            recreate="always",
            copy_from=_audit_log_table(actions),
            table_kwargs={"sqlite_autoincrement": True},
        ):
            pass
        if counter is not None:
            bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'audit_log'"))
            bind.execute(
                sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('audit_log', :seq)"),
                {"seq": counter},
            )
    else:
        op.drop_constraint(op.f(ACTION_CHECK), "audit_log", type_="check")
        op.create_check_constraint(op.f(ACTION_CHECK), "audit_log", _action_check(actions))


def upgrade() -> None:
    """Upgrade schema."""
    _set_actions(AFTER)


def downgrade() -> None:
    """Downgrade schema."""
    op.execute(
        "DELETE FROM audit_log WHERE action IN (" + ", ".join(f"'{a}'" for a in ADDED) + ")"
    )
    _set_actions(BEFORE)

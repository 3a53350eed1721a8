"""Audit log of admin actions

`audit_log`: one row per admin action (who, what, target, when, details); `sequence` is the log
position. Written from adapters/sql/tables_admin.py.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 15:40:00.000000

"""

from alembic import op

from migrations.helpers.history import AUDIT_ACTIONS_0005, audit_log_elements

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    op.create_table(
        "audit_log", *audit_log_elements(AUDIT_ACTIONS_0005), sqlite_autoincrement=True
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_target_user_id'), ['target_user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_target_user_id'))

    op.drop_table('audit_log')

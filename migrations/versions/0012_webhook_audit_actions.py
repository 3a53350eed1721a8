"""Audit actions of the outbound webhook admin mutations

`audit_log.action` also accepts WEBHOOK_ENDPOINT_REGISTERED, WEBHOOK_ENDPOINT_UPDATED,
WEBHOOK_SECRET_ROTATED and WEBHOOK_DELIVERY_RESENT (built on the list as it is at 0011).
PostgreSQL rewrites the CHECK; SQLite copies the table (keeping its AUTOINCREMENT counter and its
index), as 0010 does. Downgrading deletes the entries of these actions.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 09:40:00.000000

"""

from alembic import op

from migrations.helpers.checks import in_list
from migrations.helpers.history import (
    AUDIT_ACTIONS_0010,
    AUDIT_ACTIONS_0012,
    WEBHOOK_AUDIT_ACTIONS,
    set_audit_actions,
)

revision: str = "0012"
down_revision: str | None = "0011"


def upgrade() -> None:
    set_audit_actions(AUDIT_ACTIONS_0012)


def downgrade() -> None:
    op.execute("DELETE FROM audit_log WHERE " + in_list("action", WEBHOOK_AUDIT_ACTIONS))
    set_audit_actions(AUDIT_ACTIONS_0010)

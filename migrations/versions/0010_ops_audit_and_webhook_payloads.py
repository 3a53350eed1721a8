"""Operations: audit actions and replayable webhook deliveries

`audit_log.action` also accepts REFUND_JOB_RETRIED (an admin ran a DEAD refund job again) and
ORDER_WEBHOOK_REPLAYED (a stored order webhook delivery applied again). PostgreSQL rewrites the
CHECK; SQLite copies the table (keeping its AUTOINCREMENT counter and its index).
`order_webhook_deliveries.payload`: the verified body, so that a delivery can be replayed (null
for deliveries stored before).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 08:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers.checks import in_list
from migrations.helpers.history import (
    AUDIT_ACTIONS_0005,
    AUDIT_ACTIONS_0010,
    OPERATIONS_AUDIT_ACTIONS,
    set_audit_actions,
)

revision: str = "0010"
down_revision: str | None = "0009"


def upgrade() -> None:
    set_audit_actions(AUDIT_ACTIONS_0010)
    with op.batch_alter_table('order_webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('order_webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_column('payload')
    op.execute("DELETE FROM audit_log WHERE " + in_list("action", OPERATIONS_AUDIT_ACTIONS))
    set_audit_actions(AUDIT_ACTIONS_0005)

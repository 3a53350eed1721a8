"""Refund jobs remember the request that caused them

`refund_jobs.request_id`: the id of the request (approval, retry) that made the refund payable;
the worker logs the job under it (app.observability.logging). Null for older jobs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 08:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"


def upgrade() -> None:
    with op.batch_alter_table('refund_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('refund_jobs', schema=None) as batch_op:
        batch_op.drop_column('request_id')

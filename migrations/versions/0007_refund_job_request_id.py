"""Refund jobs remember the request that caused them

`refund_jobs.request_id`: the id of the request (approval, retry) that made the refund payable;
the worker logs the job under it (app.observability.logging). Null for older jobs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 08:20:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('refund_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=128), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('refund_jobs', schema=None) as batch_op:
        batch_op.drop_column('request_id')

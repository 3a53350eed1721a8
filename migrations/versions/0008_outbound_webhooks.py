"""Outbound webhooks: endpoints and the delivery outbox

`webhook_endpoints`: the shop's endpoints (URL, events, signing secrets, active/disabled with the
reason); `webhook_deliveries`: one row per (message, endpoint), written in the transaction of the
change that caused it and sent by the webhook worker. Tables: adapters/sql/tables_outbound_webhooks.py.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 08:01:24.571940

"""

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"


def upgrade() -> None:
    op.create_table('webhook_endpoints',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('previous_secret', sa.String(length=100), nullable=True),
    sa.Column('previous_secret_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=500), nullable=True),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('consecutive_failures >= 0', name=op.f('ck_webhook_endpoints_failures_non_negative')),
    sa.CheckConstraint('length(description) BETWEEN 0 AND 200', name=op.f('ck_webhook_endpoints_description_length')),
    sa.CheckConstraint('length(url) BETWEEN 1 AND 2000', name=op.f('ck_webhook_endpoints_url_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('endpoint_id', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=True),
    sa.Column('resend_of', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_owner', sa.String(length=200), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_response', sa.String(length=1000), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("event_type IN ('case.opened', 'case.resolved', 'refund.requested', 'refund.approved', 'refund.paid', 'refund.failed')", name=op.f('ck_webhook_deliveries_event_type_valid')),
    sa.CheckConstraint("state IN ('PENDING', 'DELIVERED', 'FAILED')", name=op.f('ck_webhook_deliveries_state_valid')),
    sa.CheckConstraint('(lease_owner IS NULL) = (lease_until IS NULL)', name=op.f('ck_webhook_deliveries_lease_owner_and_until')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_webhook_deliveries_attempts_non_negative')),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_webhook_deliveries_endpoint_created_at', ['endpoint_id', 'created_at'], unique=False)
        batch_op.create_index('ix_webhook_deliveries_state_next_attempt_at', ['state', 'next_attempt_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_state_next_attempt_at')
        batch_op.drop_index('ix_webhook_deliveries_endpoint_created_at')
        batch_op.drop_index('ix_webhook_deliveries_created_at_id')

    op.drop_table('webhook_deliveries')
    op.drop_table('webhook_endpoints')

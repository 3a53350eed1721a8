"""Macros and case ratings

Revision ID: 0011
Revises: 0010

- macros: the shared canned replies (title, body with {{placeholders}}, who/when, version).
- case_ratings: one customer rating per resolved case (score 1-5, optional comment, the agent it
  is credited to); the primary key (case_id) is what makes "rate once" hold.
- case_events.type: one new event type, CASE_RATED (built on the list as it is at 0010). SQLite
  cannot alter a CHECK constraint: the table is rebuilt (batch "move and copy", AUTOINCREMENT
  counter kept, and any trigger on case_events re-created after the copy, so that triggers other
  features put there are not lost). Downgrading deletes the CASE_RATED events.
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers.history import (
    CASE_EVENT_TYPES_0002,
    CASE_EVENT_TYPES_0011,
    set_case_event_types,
)

revision: str = "0011"
down_revision: str | None = "0010"


def upgrade() -> None:
    op.create_table(
        "macros",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.String(length=10000), nullable=False),
        sa.Column("created_by_id", sa.String(length=64), nullable=False),
        sa.Column("updated_by_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("length(title) BETWEEN 1 AND 120", name=op.f("ck_macros_title_length")),
        sa.CheckConstraint("length(body) BETWEEN 1 AND 10000", name=op.f("ck_macros_body_length")),
        sa.CheckConstraint("version >= 0", name=op.f("ck_macros_version_non_negative")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_macros_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_macros_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_macros")),
    )
    with op.batch_alter_table("macros", schema=None) as batch_op:
        batch_op.create_index("ix_macros_title_id", ["title", "id"], unique=False)
    op.create_table(
        "case_ratings",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_case_ratings_score_range")),
        sa.CheckConstraint(
            "length(comment) BETWEEN 1 AND 1000", name=op.f("ck_case_ratings_comment_length")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_case_ratings_agent_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["support_cases.id"], name=op.f("fk_case_ratings_case_id_support_cases")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_case_ratings_customer_id_users")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_ratings")),
    )
    with op.batch_alter_table("case_ratings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_ratings_agent_rated_at", ["agent_id", "rated_at"], unique=False
        )
        batch_op.create_index("ix_case_ratings_rated_at", ["rated_at"], unique=False)
    set_case_event_types(CASE_EVENT_TYPES_0011)


def downgrade() -> None:
    op.execute("DELETE FROM case_events WHERE type = 'CASE_RATED'")
    set_case_event_types(CASE_EVENT_TYPES_0002)
    with op.batch_alter_table("case_ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_case_ratings_rated_at")
        batch_op.drop_index("ix_case_ratings_agent_rated_at")
    op.drop_table("case_ratings")
    with op.batch_alter_table("macros", schema=None) as batch_op:
        batch_op.drop_index("ix_macros_title_id")
    op.drop_table("macros")

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

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_TYPES_BEFORE = (
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
EVENT_TYPES_AFTER = (*EVENT_TYPES_BEFORE, "CASE_RATED")
TYPE_CHECK = "ck_case_events_type_valid"


def _type_check(types: Sequence[str]) -> str:
    return "type IN (" + ", ".join(f"'{t}'" for t in types) + ")"


def _case_events_table(types: Sequence[str]) -> sa.Table:
    """case_events as it is at 0010, with the given event types (for SQLite's copy)."""
    return sa.Table(
        "case_events",
        sa.MetaData(),
        sa.Column(
            "sequence",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=64), nullable=False),
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
        sa.CheckConstraint(_type_check(types), name=op.f(TYPE_CHECK)),
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
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_case_events")),
        sa.UniqueConstraint("id", name=op.f("uq_case_events_id")),
        sa.Index("ix_case_events_case_sequence", "case_id", "sequence"),
        sqlite_autoincrement=True,
    )


def _set_event_types(types: Sequence[str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # The copy must not hand out a sequence number again: keep the AUTOINCREMENT counter.
        counter = bind.execute(
            sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'case_events'")
        ).scalar()
        # Dropping the old table drops its triggers: keep their definitions to re-create them.
        triggers = [
            str(sql)
            for (sql,) in bind.execute(
                sa.text(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = 'case_events' AND sql IS NOT NULL ORDER BY name"
                )
            )
        ]
        with op.batch_alter_table(
            "case_events",
            recreate="always",
            copy_from=_case_events_table(types),
            table_kwargs={"sqlite_autoincrement": True},
        ):
            pass
        if counter is not None:
            bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'case_events'"))
            bind.execute(
                sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('case_events', :seq)"),
                {"seq": counter},
            )
        for sql in triggers:
            bind.execute(sa.text(sql))
    else:
        op.drop_constraint(op.f(TYPE_CHECK), "case_events", type_="check")
        op.create_check_constraint(op.f(TYPE_CHECK), "case_events", _type_check(types))


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
    _set_event_types(EVENT_TYPES_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM case_events WHERE type = 'CASE_RATED'")
    _set_event_types(EVENT_TYPES_BEFORE)
    with op.batch_alter_table("case_ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_case_ratings_rated_at")
        batch_op.drop_index("ix_case_ratings_agent_rated_at")
    op.drop_table("case_ratings")
    with op.batch_alter_table("macros", schema=None) as batch_op:
        batch_op.drop_index("ix_macros_title_id")
    op.drop_table("macros")

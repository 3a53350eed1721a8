"""Case search: full text kept by the database, order number and due time on cases

- `support_cases.order_number` (the order's number when the case was opened) and
  `support_cases.due_at` (SupportCase.due_at, the next SLA deadline owed; backfilled here), with
  indexes for the order filter and the "due soonest" sort.
- `case_search`: one row per case with two documents, maintained BY THE DATABASE (triggers on
  support_cases and messages), so no write path can forget it:
  `staff_doc` = subject, description, case number (`cs 000042 42`), order number, every message;
  `customer_doc` = the same without internal notes (a customer never matches a word that only a
  note contains).
  PostgreSQL: a table of `tsvector`s ('simple' configuration) with GIN indexes.
  SQLite: an FTS5 virtual table (unicode61 tokenizer) whose rowid is the case number (stable:
  unlike a rowid of support_cases it survives table rebuilds).
  migrations/env.py keeps `case_search*` out of `alembic check` (not described by tables.py).

Triggers are created LAST: a later SQLite batch rebuild of support_cases or messages (move and
copy) drops them. A migration that rebuilds either table on SQLite must create them again
(`create_search_triggers_sqlite` below); tests/integration/sql/test_case_search.py
(test_search_triggers_exist_at_head) fails when they are missing at head.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 08:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers.case_search import pg_refresh_function

revision: str = "0006"
down_revision: str | None = "0005"

SQLITE_TRIGGERS = (
    "case_search_case_insert",
    "case_search_case_update",
    "case_search_case_delete",
    "case_search_message_insert",
    "case_search_message_update",
    "case_search_message_delete",
)
POSTGRES_TRIGGERS = ("case_search_case_insert", "case_search_case_update", "case_search_message")
# Saving a case writes every mutable column: the documents are rebuilt only when a searched one
# really changed.
_CASE_TEXT_CHANGED = (
    "OLD.subject IS DISTINCT FROM NEW.subject OR OLD.description IS DISTINCT FROM NEW.description "
    "OR OLD.number IS DISTINCT FROM NEW.number OR OLD.order_number IS DISTINCT FROM NEW.order_number"
)


# -- PostgreSQL -------------------------------------------------------------------------------

PG_FUNCTIONS = (
    pg_refresh_function(split_punctuation=False),
    """
CREATE OR REPLACE FUNCTION case_search_on_case() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM case_search_refresh(NEW.id);
    RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION case_search_on_message() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM case_search_refresh(OLD.case_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM case_search_refresh(NEW.case_id);
    END IF;
    RETURN NULL;
END $$""",
)


def create_search_triggers_postgres() -> None:
    for function in PG_FUNCTIONS:  # one statement each (asyncpg prepares statements)
        op.execute(function)
    op.execute(
        "CREATE TRIGGER case_search_case_insert AFTER INSERT ON support_cases "
        "FOR EACH ROW EXECUTE FUNCTION case_search_on_case()"
    )
    op.execute(
        "CREATE TRIGGER case_search_case_update AFTER UPDATE ON support_cases "
        f"FOR EACH ROW WHEN ({_CASE_TEXT_CHANGED}) EXECUTE FUNCTION case_search_on_case()"
    )
    op.execute(
        "CREATE TRIGGER case_search_message AFTER INSERT OR UPDATE OR DELETE ON messages "
        "FOR EACH ROW EXECUTE FUNCTION case_search_on_message()"
    )


def _upgrade_postgres() -> None:
    op.execute(
        "CREATE TABLE case_search ("
        " case_id varchar(64) PRIMARY KEY REFERENCES support_cases (id) ON DELETE CASCADE,"
        " staff_doc tsvector NOT NULL,"
        " customer_doc tsvector NOT NULL)"
    )
    op.execute("CREATE INDEX case_search_staff_doc ON case_search USING gin (staff_doc)")
    op.execute("CREATE INDEX case_search_customer_doc ON case_search USING gin (customer_doc)")
    create_search_triggers_postgres()
    op.execute("SELECT case_search_refresh(id) FROM support_cases")


def _downgrade_postgres() -> None:
    for trigger, table in (
        ("case_search_case_insert", "support_cases"),
        ("case_search_case_update", "support_cases"),
        ("case_search_message", "messages"),
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in ("case_search_on_case()", "case_search_on_message()", "case_search_refresh(varchar)"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.execute("DROP TABLE IF EXISTS case_search")


# -- SQLite -----------------------------------------------------------------------------------

def _sqlite_doc(internal: bool) -> str:
    notes = "" if internal else " AND m.internal = 0"
    return (
        "c.subject || ' ' || c.description || ' cs ' || printf('%06d', c.number) || ' ' || "
        "c.number || ' ' || coalesce(c.order_number, '') || ' ' || coalesce((SELECT "
        "group_concat(m.body, ' ') FROM (SELECT m.body FROM messages m WHERE m.case_id = c.id"
        f"{notes} ORDER BY m.created_at, m.id) m), '')"
    )


def _sqlite_insert(case_id: str) -> str:
    return (
        "INSERT INTO case_search (rowid, staff_doc, customer_doc) "
        f"SELECT c.number, {_sqlite_doc(True)}, {_sqlite_doc(False)} "
        f"FROM support_cases c WHERE c.id = {case_id};"
    )


def _sqlite_refresh(case_id: str) -> str:
    return (
        "DELETE FROM case_search WHERE rowid = "
        f"(SELECT number FROM support_cases WHERE id = {case_id}); " + _sqlite_insert(case_id)
    )


def create_search_triggers_sqlite() -> None:
    """(Re)create the SQLite triggers (after any batch rebuild of support_cases or messages)."""
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(
        "CREATE TRIGGER case_search_case_insert AFTER INSERT ON support_cases BEGIN "
        + _sqlite_insert("NEW.id") + " END"
    )
    op.execute(
        "CREATE TRIGGER case_search_case_update AFTER UPDATE ON support_cases "
        f"WHEN {_CASE_TEXT_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} BEGIN "
        "DELETE FROM case_search WHERE rowid = OLD.number; " + _sqlite_insert("NEW.id") + " END"
    )
    op.execute(
        "CREATE TRIGGER case_search_case_delete AFTER DELETE ON support_cases BEGIN "
        "DELETE FROM case_search WHERE rowid = OLD.number; END"
    )
    op.execute(
        "CREATE TRIGGER case_search_message_insert AFTER INSERT ON messages BEGIN "
        + _sqlite_refresh("NEW.case_id") + " END"
    )
    op.execute(
        "CREATE TRIGGER case_search_message_update AFTER UPDATE ON messages BEGIN "
        + _sqlite_refresh("OLD.case_id") + " " + _sqlite_refresh("NEW.case_id") + " END"
    )
    op.execute(
        "CREATE TRIGGER case_search_message_delete AFTER DELETE ON messages BEGIN "
        + _sqlite_refresh("OLD.case_id") + " END"
    )


def _upgrade_sqlite() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE case_search USING fts5("
        "staff_doc, customer_doc, tokenize = 'unicode61 remove_diacritics 2')"
    )
    create_search_triggers_sqlite()
    op.execute(
        "INSERT INTO case_search (rowid, staff_doc, customer_doc) "
        f"SELECT c.number, {_sqlite_doc(True)}, {_sqlite_doc(False)} FROM support_cases c"
    )


def _downgrade_sqlite() -> None:
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS case_search")


# -- both -------------------------------------------------------------------------------------

def upgrade() -> None:
    with op.batch_alter_table('support_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_number', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE support_cases SET due_at = CASE WHEN first_responded_at IS NULL "
        "AND first_response_due_at < resolution_due_at THEN first_response_due_at "
        "ELSE resolution_due_at END"
    )
    with op.batch_alter_table('support_cases', schema=None) as batch_op:
        batch_op.alter_column('due_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index('ix_support_cases_due_at_id', ['due_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_cases_order_number'), ['order_number'], unique=False)
    # Last: a batch rebuild (above) would drop the SQLite triggers.
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgres()
    else:
        _upgrade_sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _downgrade_postgres()
    else:
        _downgrade_sqlite()
    with op.batch_alter_table('support_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_cases_order_number'))
        batch_op.drop_index('ix_support_cases_due_at_id')
        batch_op.drop_column('due_at')
        batch_op.drop_column('order_number')

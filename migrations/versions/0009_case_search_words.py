"""Case search: PostgreSQL splits words at punctuation, like SQLite and the domain rule

PostgreSQL's text-search parser keeps `ORD-5531` as `ord` and `-5531` (a signed number),
`alice@example.com` and `a.b/c` as one token each, so searching `5531` or `alice` found nothing
there while SQLite's FTS5 (unicode61) and domain.queries.search_words split at every punctuation
character. The documents are now built from the text with punctuation turned into spaces, and
rebuilt for every case. SQLite is unchanged.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 08:40:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _doc(internal: bool, *, split_punctuation: bool) -> str:
    notes = "" if internal else " AND NOT m.internal"
    text = (
        "concat_ws(' ', c.subject, c.description, "
        "'cs', lpad(c.number::text, 6, '0'), c.number::text, c.order_number, "
        "(SELECT string_agg(m.body, ' ' ORDER BY m.created_at, m.id) FROM messages m "
        f"WHERE m.case_id = c.id{notes}))"
    )
    if split_punctuation:
        text = f"regexp_replace({text}, '[[:punct:]]+', ' ', 'g')"
    return f"to_tsvector('simple', {text})"


def _refresh_function(*, split_punctuation: bool) -> str:
    staff = _doc(True, split_punctuation=split_punctuation)
    customer = _doc(False, split_punctuation=split_punctuation)
    return f"""
CREATE OR REPLACE FUNCTION case_search_refresh(p_case_id varchar) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- Serialise refreshes of one case (two messages committed at once): the second waits, then
    -- reads the first one's message. NO KEY UPDATE does not conflict with the KEY SHARE lock
    -- that inserting a message takes on its case.
    PERFORM 1 FROM support_cases WHERE id = p_case_id FOR NO KEY UPDATE;
    INSERT INTO case_search (case_id, staff_doc, customer_doc)
    SELECT c.id, {staff}, {customer}
    FROM support_cases c WHERE c.id = p_case_id
    ON CONFLICT (case_id) DO UPDATE
        SET staff_doc = EXCLUDED.staff_doc, customer_doc = EXCLUDED.customer_doc;
END $$"""


def _replace(*, split_punctuation: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # FTS5's unicode61 tokenizer already splits at punctuation
    op.execute(_refresh_function(split_punctuation=split_punctuation))
    op.execute("SELECT case_search_refresh(id) FROM support_cases")


def upgrade() -> None:
    """Upgrade schema."""
    _replace(split_punctuation=True)


def downgrade() -> None:
    """Downgrade schema."""
    _replace(split_punctuation=False)

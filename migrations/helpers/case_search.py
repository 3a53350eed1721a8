"""PostgreSQL's case_search documents and their refresh function (0006 made them, 0009 changed
how the text is split into words; both migrations and their downgrades build them here)."""

from __future__ import annotations


def pg_document(internal: bool, *, split_punctuation: bool) -> str:
    """The tsvector of case `c`: subject, description, case number (`cs 000042 42`), order
    number and its messages (internal notes only if `internal`)."""
    notes = "" if internal else " AND NOT m.internal"
    text = (
        "concat_ws(' ', c.subject, c.description, "
        "'cs', lpad(c.number::text, 6, '0'), c.number::text, c.order_number, "
        "(SELECT string_agg(m.body, ' ' ORDER BY m.created_at, m.id) FROM messages m "
        f"WHERE m.case_id = c.id{notes}))"
    )
    if split_punctuation:  # 0009: `ORD-5531` is the words `ord` and `5531`, as on SQLite
        text = f"regexp_replace({text}, '[[:punct:]]+', ' ', 'g')"
    return f"to_tsvector('simple', {text})"


def pg_refresh_function(*, split_punctuation: bool) -> str:
    """CREATE OR REPLACE case_search_refresh(case id): rebuilds the case's two documents."""
    staff = pg_document(True, split_punctuation=split_punctuation)
    customer = pg_document(False, split_punctuation=split_punctuation)
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

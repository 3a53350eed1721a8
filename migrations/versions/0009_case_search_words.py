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

from alembic import op

from migrations.helpers.case_search import pg_refresh_function

revision: str = "0009"
down_revision: str | None = "0008"


def _replace(*, split_punctuation: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # FTS5's unicode61 tokenizer already splits at punctuation
    op.execute(pg_refresh_function(split_punctuation=split_punctuation))
    op.execute("SELECT case_search_refresh(id) FROM support_cases")


def upgrade() -> None:
    _replace(split_punctuation=True)


def downgrade() -> None:
    _replace(split_punctuation=False)

"""Canned replies (macros) and customer ratings of resolved cases (issue 12, parts 2 and 3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlmodel import SQLModel

from adapters.sql.tables import ID_LEN, _col, _fk, _id, _length_check, _table, _text, _ts
from domain.cases import BODY_MAX
from domain.macros import TITLE_MAX
from domain.satisfaction import COMMENT_MAX


class MacroRow(SQLModel, table=True):
    __tablename__ = "macros"
    __table_args__ = (
        _length_check("title", TITLE_MAX),
        _length_check("body", BODY_MAX),
        CheckConstraint("version >= 0", name="version_non_negative"),
        # The library is listed by title (keyset on title, id).
        Index("ix_macros_title_id", "title", "id"),
    )

    id: str = _id(primary_key=True)
    title: str = _text(TITLE_MAX)
    body: str = _text(BODY_MAX)
    created_by_id: str = _fk("users.id")
    updated_by_id: str = _fk("users.id")
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    version: int = _col(Integer(), default=0)


class CaseRatingRow(SQLModel, table=True):
    """One per case: the primary key is what makes "rate once" hold under concurrency."""

    __tablename__ = "case_ratings"
    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        _length_check("comment", COMMENT_MAX),
        # The report: a period, overall or of one agent.
        Index("ix_case_ratings_rated_at", "rated_at"),
        Index("ix_case_ratings_agent_rated_at", "agent_id", "rated_at"),
    )

    case_id: str = _col(String(ID_LEN), ForeignKey("support_cases.id"), primary_key=True)
    customer_id: str = _fk("users.id")
    agent_id: str | None = _fk("users.id", nullable=True)
    score: int = _col(Integer())
    comment: str | None = _text(COMMENT_MAX, nullable=True)
    rated_at: datetime = _ts()
    event_id: str = _col(String(ID_LEN))


macros = _table(MacroRow)
case_ratings = _table(CaseRatingRow)

"""domain.ports.MacroRepository and RatingRepository over SQL, in the unit of work's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import CursorResult, RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.rows import from_row, row_values
from adapters.sql.tables_macros import case_ratings, macros
from adapters.sql.versioned import VersionedRepository
from domain.macros import Macro
from domain.satisfaction import CaseRating, ScoreCount


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def _macro(row: RowMapping) -> Macro:
    return from_row(Macro, row)


class SqlMacroRepository(VersionedRepository[Macro]):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(
            session,
            table=macros,
            what="macro",
            to_values=lambda macro: row_values(macros, macro),
            from_row=_macro,
            mutable=("title", "body", "updated_by_id", "updated_at"),
        )

    async def delete(self, macro_id: str) -> bool:
        result = await self._session.execute(delete(macros).where(macros.c.id == macro_id))
        return _rowcount(result) == 1

    async def list(self, *, limit: int, after: tuple[str, str] | None = None) -> list[Macro]:
        stmt = select(macros).order_by(macros.c.title, macros.c.id).limit(limit)
        if after is not None:
            stmt = stmt.where(tuple_(macros.c.title, macros.c.id) > tuple_(*after))
        rows = (await self._session.execute(stmt)).mappings().all()
        return [_macro(row) for row in rows]


def _rating(row: RowMapping) -> CaseRating:
    return from_row(CaseRating, row)


class SqlRatingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, rating: CaseRating) -> bool:
        # PostgreSQL: an INSERT meeting the same case uncommitted in another transaction waits
        # for it; ON CONFLICT DO NOTHING then inserts nothing (SQLite: writers are serialised).
        is_pg = self._session.bind is not None and self._session.bind.dialect.name == "postgresql"
        dialect = pg_dialect if is_pg else sqlite_dialect
        stmt = (
            dialect.insert(case_ratings)
            .values(**row_values(case_ratings, rating))
            .on_conflict_do_nothing()
            .returning(case_ratings.c.case_id)
        )
        return (await self._session.execute(stmt)).first() is not None

    async def for_cases(self, case_ids: Sequence[str]) -> dict[str, CaseRating]:
        if not case_ids:
            return {}
        stmt = select(case_ratings).where(case_ratings.c.case_id.in_(list(case_ids)))
        rows = (await self._session.execute(stmt)).mappings().all()
        return {row["case_id"]: _rating(row) for row in rows}

    async def score_counts(
        self, *, since: datetime, until: datetime, agent_id: str | None = None
    ) -> list[ScoreCount]:
        r = case_ratings.c
        stmt = (
            select(r.agent_id, r.score, func.count().label("n"))
            .where(r.rated_at >= since, r.rated_at < until)
            .group_by(r.agent_id, r.score)
        )
        if agent_id is not None:
            stmt = stmt.where(r.agent_id == agent_id)
        rows = (await self._session.execute(stmt)).all()
        return [ScoreCount(row.agent_id, int(row.score), int(row.n)) for row in rows]

"""domain.ports.SlaBreachLog over SQL (PostgreSQL and SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, literal, or_, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sql.db import READ_ONLY
from adapters.sql.tables import support_cases
from adapters.sql.tables_sla import sla_breaches
from adapters.sql.unit_of_work import SqlUnitOfWork
from domain.cases import CaseStatus
from domain.ports import UnitOfWork
from domain.sla import SlaBreach, SlaKind


class SqlSlaBreachLog:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def candidates(self, now: datetime, *, limit: int) -> list[SlaBreach]:
        c = support_cases.c
        b = sla_breaches.c

        def not_announced(kind: SlaKind, due: Any) -> Any:
            return ~exists().where(b.case_id == c.id, b.kind == kind.value, b.due_at == due)

        def breached(kind: SlaKind, due: Any, met_at: Any) -> Any:
            # While paused (waiting on the customer) the clock stands at paused_since.
            return select(
                c.id.label("case_id"), literal(kind.value).label("kind"), due.label("due_at")
            ).where(
                c.status != CaseStatus.CLOSED.value,
                due < now,
                or_(met_at.is_(None), met_at > due),
                or_(c.paused_since.is_(None), c.paused_since > due),
                not_announced(kind, due),
            )

        first = breached(SlaKind.FIRST_RESPONSE, c.first_response_due_at, c.first_responded_at)
        resolution = breached(SlaKind.RESOLUTION, c.resolution_due_at, c.resolved_at)
        both = union_all(first, resolution).subquery("due")
        stmt = select(both).order_by(both.c.due_at, both.c.case_id).limit(max(1, limit))
        async with self._session_factory() as session:
            conn = await session.connection(execution_options={READ_ONLY: True})
            rows = (await conn.execute(stmt)).mappings().all()
        return [
            SlaBreach(
                case_id=row["case_id"],
                kind=SlaKind(row["kind"]),
                due_at=_aware(row["due_at"]),
            )
            for row in rows
        ]

    async def claim(
        self, work: UnitOfWork, breach: SlaBreach, *, event_id: str, now: datetime
    ) -> bool:
        if not isinstance(work, SqlUnitOfWork):
            raise TypeError("SqlSlaBreachLog works inside a SqlUnitOfWork")
        session = work.session
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = (
            insert(sla_breaches)
            .values(
                case_id=breach.case_id,
                kind=breach.kind.value,
                due_at=breach.due_at,
                event_id=event_id,
                announced_at=now,
            )
            .on_conflict_do_nothing()
            .returning(sla_breaches.c.case_id)
        )
        result = await session.execute(stmt)
        return result.first() is not None


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)

"""domain.ports.AuditLog over the `audit_log` table, inside the unit of work's transaction."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.tables_admin import audit_log
from domain.admin import AuditAction, AuditEntry


class SqlAuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, entry: AuditEntry) -> None:
        await self._session.execute(
            insert(audit_log).values(
                id=entry.id,
                actor_id=entry.actor_id,
                actor=entry.actor,
                action=entry.action.value,
                target_user_id=entry.target_user_id,
                occurred_at=entry.occurred_at,
                details=dict(entry.details),
            )
        )

    async def newest(self, *, limit: int, before: int | None = None) -> list[AuditEntry]:
        stmt = select(audit_log).order_by(audit_log.c.sequence.desc()).limit(limit)
        if before is not None:
            stmt = stmt.where(audit_log.c.sequence < before)
        rows = (await self._session.execute(stmt)).mappings().all()
        return [
            AuditEntry(
                id=row["id"],
                actor_id=row["actor_id"],
                actor=row["actor"],
                action=AuditAction(row["action"]),
                target_user_id=row["target_user_id"],
                occurred_at=row["occurred_at"],
                details={str(k): str(v) for k, v in (row["details"] or {}).items()},
                sequence=int(row["sequence"]),
            )
            for row in rows
        ]

"""The audit log of admin actions (kept apart from tables.py so features can evolve separately).

`sequence` is the log position (newest = highest, the cursor of `auditLog`); `details` is a JSON
object of short strings and never holds a password or a hash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlmodel import SQLModel

from adapters.sql.tables import ENUM_LEN, ID_LEN, UtcDateTime, _col, _table
from domain.admin import AuditAction


class AuditLogRow(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint(
            "action IN (" + ", ".join(f"'{a.value}'" for a in AuditAction) + ")",
            name="action_valid",
        ),
        {"sqlite_autoincrement": True},
    )

    sequence: int | None = _col(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    id: str = _col(String(ID_LEN), unique=True)
    actor_id: str | None = _col(String(ID_LEN), ForeignKey("users.id"), nullable=True)
    actor: str = _col(String(ID_LEN))
    action: str = _col(String(ENUM_LEN))
    target_user_id: str | None = _col(
        String(ID_LEN), ForeignKey("users.id"), nullable=True, index=True
    )
    occurred_at: datetime = _col(UtcDateTime())
    details: dict[str, Any] = _col(JSON())


audit_log = _table(AuditLogRow)

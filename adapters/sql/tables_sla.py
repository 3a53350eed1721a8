"""Tables of the SLA breach scheduler (kept apart from tables.py so features can evolve separately).

`sla_breaches` remembers which due time of which case was announced with an SLA_BREACHED event:
its primary key (case, kind, due time) is what makes "once per case per due time" hold across
concurrent schedulers. Two indexes on support_cases let the scheduler find passed due times
without scanning every case.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlmodel import SQLModel

from adapters.sql.tables import ENUM_LEN, ID_LEN, UtcDateTime, _col, _table, support_cases
from domain.sla import SlaKind


class SlaBreachRow(SQLModel, table=True):
    __tablename__ = "sla_breaches"
    __table_args__ = (
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{k.value}'" for k in SlaKind) + ")", name="kind_valid"
        ),
    )

    case_id: str = _col(String(ID_LEN), ForeignKey("support_cases.id"), primary_key=True)
    kind: str = _col(String(ENUM_LEN), primary_key=True)
    due_at: datetime = _col(UtcDateTime(), primary_key=True)
    event_id: str = _col(String(ID_LEN))
    announced_at: datetime = _col(UtcDateTime())


sla_breaches = _table(SlaBreachRow)

Index("ix_support_cases_first_response_due_at", support_cases.c.first_response_due_at)
Index("ix_support_cases_resolution_due_at", support_cases.c.resolution_due_at)

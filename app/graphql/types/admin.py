"""The audit log of admin actions (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from app.graphql.context import Info
from app.graphql.fields import field
from app.graphql.ids import encode_id
from app.graphql.types.common import AuditAction
from app.graphql.types.connections import Connection, connection
from app.graphql.types.users import User, user_relation
from domain import admin as da


@strawberry.type(description="One detail of an audit entry (never a password).")
class AuditDetail:
    key: str = strawberry.field(description="What the detail is, e.g. `before`, `email`.")
    value: str = strawberry.field(description="Its value.")


@strawberry.type(description="One admin action: who did what to whom, and when.")
class AuditEntry:
    model: strawberry.Private[da.AuditEntry]
    id: strawberry.ID = strawberry.field(description="The entry's id.")
    action: AuditAction = strawberry.field(description="What was done.")
    actor_label: str = strawberry.field(
        description="Who did it: the acting User.id, or `cli` for the operator CLI."
    )

    @field(description="The admin who did it; null when done through the operator CLI.")
    def actor(self, info: Info) -> User | None:
        return user_relation(info, self.model.actor_id)

    @field(description="The user it was done to.")
    def target_user(self, info: Info) -> User | None:
        return user_relation(info, self.model.target_user_id)

    occurred_at: datetime = strawberry.field(description="When it was done.")
    details: list[AuditDetail] = strawberry.field(
        description="What changed (e.g. the role before and after), as key/value pairs."
    )

    @classmethod
    def from_domain(cls, entry: da.AuditEntry) -> AuditEntry:
        return cls(
            model=entry,
            id=strawberry.ID(entry.id),
            action=entry.action,
            actor_label=(
                encode_id("User", entry.actor_id) if entry.actor_id is not None else entry.actor
            ),
            occurred_at=entry.occurred_at,
            details=[AuditDetail(key=k, value=v) for k, v in sorted(entry.details.items())],
        )


if TYPE_CHECKING:
    AuditEntryConnection = Connection[AuditEntry]
else:
    AuditEntryConnection = connection(
        AuditEntry,
        AuditEntry.from_domain,
        description="A page of the audit log, newest first.",
        edges="The entries of this page.",
        edge_description="An edge of an audit log connection.",
        cursor="Position of this entry.",
        node_description="The entry.",
    )

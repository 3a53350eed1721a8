"""User administration: who may administer, the password rules, and the audit log's entries."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from domain.users import Principal, Role

# The same bounds login applies (it refuses longer passwords unhashed: argon2 of megabytes is a
# denial of service); the minimum is for new passwords only.
PASSWORD_MIN = 8
PASSWORD_MAX = 1024
EMAIL_MIN = 3
EMAIL_MAX = 320
NAME_MAX = 200
CUSTOMER_ID_MAX = 64
AUDIT_DETAIL_MAX = 200


class AuditAction(enum.StrEnum):
    USER_CREATED = "USER_CREATED"
    USER_ROLE_CHANGED = "USER_ROLE_CHANGED"
    USER_DEACTIVATED = "USER_DEACTIVATED"
    USER_REACTIVATED = "USER_REACTIVATED"
    USER_PASSWORD_RESET = "USER_PASSWORD_RESET"
    REFUND_JOB_RETRIED = "REFUND_JOB_RETRIED"  # a DEAD refund job runs again (details: refund)
    ORDER_WEBHOOK_REPLAYED = "ORDER_WEBHOOK_REPLAYED"  # a stored delivery applied again
    # Outbound webhooks (details name the endpoint or delivery; never a secret):
    WEBHOOK_ENDPOINT_REGISTERED = "WEBHOOK_ENDPOINT_REGISTERED"
    WEBHOOK_ENDPOINT_UPDATED = "WEBHOOK_ENDPOINT_UPDATED"
    WEBHOOK_SECRET_ROTATED = "WEBHOOK_SECRET_ROTATED"
    WEBHOOK_DELIVERY_RESENT = "WEBHOOK_DELIVERY_RESENT"


@dataclass(frozen=True, slots=True)
class AdminActor:
    """Who performs an admin action: an admin's session, or the operator CLI (no user)."""

    user_id: str | None
    role: Role
    label: str  # what the audit log shows as the actor: the user id, or "cli"

    @classmethod
    def of(cls, principal: Principal) -> AdminActor:
        return cls(user_id=principal.user_id, role=principal.role, label=principal.user_id)


CLI_ACTOR = AdminActor(user_id=None, role=Role.ADMIN, label="cli")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One admin action. `details` never holds a password or a hash."""

    id: str
    actor_id: str | None  # the acting user; None for the CLI
    actor: str  # the user id, or "cli"
    action: AuditAction
    target_user_id: str | None
    occurred_at: datetime
    details: dict[str, str] = field(default_factory=dict)
    sequence: int | None = None  # the log position, once stored (newest = highest)

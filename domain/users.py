"""People: customers, agents and admins, and the principal a request acts as."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Role(enum.StrEnum):
    CUSTOMER = "CUSTOMER"
    AGENT = "AGENT"
    ADMIN = "ADMIN"

    @property
    def is_staff(self) -> bool:
        return self in (Role.AGENT, Role.ADMIN)


@dataclass(slots=True)
class User:
    id: str
    email: str
    name: str
    role: Role
    password_hash: str
    created_at: datetime
    # The order system's id for this customer; None for staff.
    external_customer_id: str | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as, from a verified access token (no I/O needed to build it)."""

    user_id: str
    role: Role
    session_id: str

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff


def normalize_email(email: str) -> str:
    return email.strip().lower()

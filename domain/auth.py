"""Sessions: short-lived access tokens plus opaque refresh tokens that rotate on every use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.users import Role


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """The verified content of an access token."""

    user_id: str  # sub
    role: Role
    session_id: str  # the refresh-token family this access token was issued under
    token_id: str  # jti
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    token: str
    expires_at: datetime


@dataclass(slots=True)
class RefreshToken:
    """One refresh token of a session family; only its hash is stored."""

    id: str
    family_id: str
    user_id: str
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None  # set when rotated: using it again is reuse
    revoked_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and now < self.expires_at

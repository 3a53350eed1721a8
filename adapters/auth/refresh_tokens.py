"""Opaque refresh tokens: the client gets random bytes, the database only their SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

REFRESH_TOKEN_BYTES = 32


def hash_refresh_token(token: str) -> str:
    """The SHA-256 hex digest stored for (and looked up by) a refresh token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_refresh_token() -> tuple[str, str]:
    """A fresh token: (the opaque value for the client, its digest to store)."""
    token = secrets.token_urlsafe(REFRESH_TOKEN_BYTES)
    return token, hash_refresh_token(token)

"""Password hashing with argon2id (argon2-cffi), implementing domain.ports.PasswordHasher."""

from __future__ import annotations

import secrets

import argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2PasswordHasher:
    """argon2id hashes in the PHC string format (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`).

    The defaults are argon2-cffi's (RFC 9106 "low memory" profile). Tests may pass cheaper
    `time_cost` / `memory_cost` (e.g. 1 and 8 KiB) to stay fast; never do that in production.
    """

    def __init__(
        self,
        *,
        time_cost: int | None = None,
        memory_cost: int | None = None,
        parallelism: int | None = None,
    ) -> None:
        defaults = argon2.PasswordHasher()
        self._hasher = argon2.PasswordHasher(
            time_cost=defaults.time_cost if time_cost is None else time_cost,
            memory_cost=defaults.memory_cost if memory_cost is None else memory_cost,
            parallelism=defaults.parallelism if parallelism is None else parallelism,
        )
        self._dummy_hash: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """True only on a match; False on a mismatch or a malformed hash. Never raises."""
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError, ValueError, TypeError):
            # VerifyMismatchError is a VerificationError; non-ASCII hashes raise UnicodeError.
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than this hasher's (or is malformed).

        Call after a successful verify and store `hash(password)` when True."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError, TypeError):
            return True

    @property
    def dummy_hash(self) -> str:
        """A hash of a random password with this hasher's parameters. Verify against it when the
        user does not exist, so that a login takes as long for unknown emails as for known ones."""
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

"""Opaque refresh tokens: random, URL-safe, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import re

from adapters.auth.refresh_tokens import hash_refresh_token, new_refresh_token


def test_new_token_and_its_digest() -> None:
    token, digest = new_refresh_token()

    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 random bytes, base64url
    assert digest == hashlib.sha256(token.encode()).hexdigest() == hash_refresh_token(token)
    assert token not in digest


def test_tokens_are_unique() -> None:
    tokens = {new_refresh_token()[0] for _ in range(1000)}
    assert len(tokens) == 1000


def test_hash_is_deterministic_and_distinguishes() -> None:
    assert hash_refresh_token("abc") == hash_refresh_token("abc")
    assert hash_refresh_token("abc") != hash_refresh_token("abd")
    assert re.fullmatch(r"[0-9a-f]{64}", hash_refresh_token(""))

"""Argon2PasswordHasher: argon2id hashes, verify never raises, rehash detection."""

from __future__ import annotations

import argon2
import pytest

from adapters.auth.passwords import Argon2PasswordHasher
from domain.ports import PasswordHasher

CHEAP = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


@pytest.fixture(scope="module")
def hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(**CHEAP)


def test_hash_then_verify_round_trip(hasher: Argon2PasswordHasher) -> None:
    password_hash = hasher.hash("correct horse battery staple")

    assert password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert "correct horse" not in password_hash
    assert hasher.verify(password_hash, "correct horse battery staple") is True


def test_wrong_password_is_false(hasher: Argon2PasswordHasher) -> None:
    password_hash = hasher.hash("secret-1")

    assert hasher.verify(password_hash, "secret-2") is False
    assert hasher.verify(password_hash, "") is False
    assert hasher.verify(password_hash, "Secret-1") is False


def test_each_hash_has_its_own_salt(hasher: Argon2PasswordHasher) -> None:
    first, second = hasher.hash("same"), hasher.hash("same")

    assert first != second
    assert hasher.verify(first, "same") and hasher.verify(second, "same")


@pytest.mark.parametrize("password", ["", "pässwörd ✓ 密码", "x" * 10_000, "with\x00nul"])
def test_unusual_passwords(hasher: Argon2PasswordHasher, password: str) -> None:
    password_hash = hasher.hash(password)

    assert hasher.verify(password_hash, password) is True
    assert hasher.verify(password_hash, password + "!") is False


@pytest.mark.parametrize(
    "bad_hash",
    [
        "",
        "garbage",
        "$argon2id$",
        "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$",
        "$argon2id$v=19$m=8,t=1,p=1$!!!!$!!!!",
        "$argon2id$v=19$m=x,t=y,p=z$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$2b$12$abcdefghijklmnopqrstuuM6bFq0dPVgSZ3tXxz0bVVAHdeWn4mUW",
        "plaintext-password",
        "$argon2id$v=19$m=8,t=1,p=1$é$é",
        "\x00" * 20,
    ],
)
def test_malformed_hash_verifies_false_without_raising(
    hasher: Argon2PasswordHasher, bad_hash: str
) -> None:
    assert hasher.verify(bad_hash, "anything") is False
    assert hasher.needs_rehash(bad_hash) is True


def test_tampered_hash_is_false(hasher: Argon2PasswordHasher) -> None:
    password_hash = hasher.hash("pw")
    last = password_hash[-1]
    tampered = password_hash[:-1] + ("A" if last != "A" else "B")

    assert hasher.verify(tampered, "pw") is False


def test_needs_rehash_follows_parameters(hasher: Argon2PasswordHasher) -> None:
    cheap_hash = hasher.hash("pw")
    stronger = Argon2PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)

    assert hasher.needs_rehash(cheap_hash) is False
    assert stronger.needs_rehash(cheap_hash) is True
    # an old hash still verifies with the new parameters: upgrade happens at the next login
    assert stronger.verify(cheap_hash, "pw") is True
    assert stronger.needs_rehash(stronger.hash("pw")) is False


def test_defaults_are_the_library_defaults() -> None:
    library = argon2.PasswordHasher()
    password_hash = Argon2PasswordHasher().hash("pw")

    expected = f"m={library.memory_cost},t={library.time_cost},p={library.parallelism}"
    assert password_hash.startswith(f"$argon2id$v=19${expected}$")


def test_dummy_hash_matches_no_password(hasher: Argon2PasswordHasher) -> None:
    dummy = hasher.dummy_hash

    assert dummy == hasher.dummy_hash  # computed once
    assert hasher.needs_rehash(dummy) is False
    assert hasher.verify(dummy, "") is False
    assert hasher.verify(dummy, "password") is False


def test_implements_the_port(hasher: Argon2PasswordHasher) -> None:
    port: PasswordHasher = hasher  # checked by mypy
    assert port.verify(port.hash("pw"), "pw")

"""Relay global ids: opaque base64 of "<TypeName>:<internal id>"."""

from __future__ import annotations

import base64
import binascii

import strawberry


def encode_id(type_name: str, internal_id: str) -> strawberry.ID:
    raw = f"{type_name}:{internal_id}".encode()
    return strawberry.ID(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def decode_id(global_id: str) -> tuple[str, str] | None:
    """(type name, internal id), or None for anything that is not one of our ids."""
    if not global_id or len(global_id) > 200:
        return None
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    type_name, sep, internal_id = text.partition(":")
    if not sep or not type_name or not internal_id or not internal_id.isprintable():
        return None
    return type_name, internal_id


def decode_expected(global_id: str, type_name: str) -> str | None:
    decoded = decode_id(global_id)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]

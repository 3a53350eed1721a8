"""Idempotent mutations: the same key with the same input returns the first result.

A key belongs to the caller (`scope` = the principal's user id) and to one operation; it is stored
with a fingerprint of the input and the id of what the first call produced, in the same
transaction as that result. Only successful calls are remembered: a refused call changed nothing,
so calling again simply runs again.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime

from domain.errors import ValidationFailed

KEY_MAX = 255
_KEY_RE = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    scope: str  # the caller's user id: keys of different callers never meet
    operation: str  # e.g. "requestRefund"
    key: str
    fingerprint: str  # sha256 of the canonical input
    result_id: str  # what the first call produced (e.g. the refund id)
    created_at: datetime


def check_key(key: str, field: str = "idempotencyKey") -> str:
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise ValidationFailed.single(field, f"must be 1..{KEY_MAX} visible ASCII characters")
    return key


def fingerprint(operation: str, payload: object) -> str:
    """A stable digest of an operation's input (JSON with sorted keys)."""
    canonical = json.dumps(
        {"operation": operation, "input": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        default=str,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()

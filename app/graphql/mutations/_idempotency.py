"""The `idempotencyKey` input field the creating mutations share (openCase, postMessage,
requestRefund): one wording of its contract (API.md, "Idempotent creation")."""

from __future__ import annotations

from typing import Any

import strawberry


def idempotency_key_field(*, unit: str, second: str, call: str = "call") -> Any:
    """`idempotency_key: str | None = idempotency_key_field(...)`: optional; `unit` is what a
    key is unique per, `second` what a retry would otherwise create twice."""
    return strawberry.field(
        default=None,
        description=f"Makes retries safe (1..255 visible ASCII characters, unique per {unit}): "
        f"the same key with the same input returns the first result instead of a second "
        f"{second}; with other input, IdempotencyKeyReused. Kept per caller. Only a successful "
        f"{call} is remembered (a refused one changed nothing).",
    )

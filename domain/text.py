"""Validation of user-supplied text shared by cases and messages."""

from __future__ import annotations

import unicodedata

from domain.errors import FieldError

_ALLOWED_CONTROLS = {"\n", "\t"}


def clean_text(
    value: str, field: str, *, max_length: int, multiline: bool, errors: list[FieldError]
) -> str:
    """Trim and check length and characters; append problems to `errors` (collect them all)."""
    text = value.replace("\r\n", "\n").strip()
    if not text:
        errors.append(FieldError(field, "must not be empty"))
        return text
    if len(text) > max_length:
        errors.append(FieldError(field, f"must be at most {max_length} characters"))
    allowed = _ALLOWED_CONTROLS if multiline else set()
    if any(unicodedata.category(ch) == "Cs" for ch in text):
        # Lone surrogates cannot be encoded as UTF-8 (the database would fail on them).
        errors.append(FieldError(field, "contains invalid characters"))
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text):
        what = "newlines and tabs" if multiline else "no control characters"
        errors.append(
            FieldError(field, f"contains control characters (allowed: {what})")
            if multiline
            else FieldError(field, "must be a single line without control characters")
        )
    return text

"""SLA breaches: which due time of a case has passed without being met."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from domain.cases import SupportCase


class SlaKind(enum.StrEnum):
    FIRST_RESPONSE = "FIRST_RESPONSE"
    RESOLUTION = "RESOLUTION"


@dataclass(frozen=True, slots=True)
class SlaBreach:
    case_id: str
    kind: SlaKind
    due_at: datetime


def current_breach(case: SupportCase, kind: SlaKind, now: datetime) -> SlaBreach | None:
    """The breach of `kind` the case shows now (at its current due time), or None."""
    if kind is SlaKind.FIRST_RESPONSE:
        if case.first_response_breached(now):
            return SlaBreach(case.id, kind, case.first_response_due_at)
        return None
    if case.resolution_breached(now):
        return SlaBreach(case.id, kind, case.resolution_due_at)
    return None


def breach_summary(breach: SlaBreach) -> str:
    what = "First response" if breach.kind is SlaKind.FIRST_RESPONSE else "Resolution"
    return f"{what} SLA breached: it was due {breach.due_at:%Y-%m-%d %H:%M} UTC"

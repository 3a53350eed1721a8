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


def is_overdue(case: SupportCase, now: datetime) -> bool:
    """Overdue, as the agents' queue filters it: the case still needs work (not RESOLVED or
    CLOSED), its SLA clock is running (not paused: waiting on the customer, or a refund being
    executed), and a due time it still owes has passed: the first response (none given yet) or
    the resolution. "Passed" is strictly after the due time, as for breaches.

    The read stores filter on exactly this (adapters/sql/read_store.py, adapters/memory/reads.py).
    """
    if not case.status.is_open or case.paused_since is not None:
        return False
    if case.first_responded_at is None and now > case.first_response_due_at:
        return True
    return now > case.resolution_due_at


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

"""One case per situation that matters to "overdue" (domain.sla.is_overdue), shared by the
tests of the rule and of both read stores (in memory, SQL), so that all three agree."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from domain.cases import (
    SLA_WAITING_ON_CUSTOMER,
    CaseCategory,
    CasePriority,
    CaseRules,
    CaseStatus,
    SupportCase,
)

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)

# name -> overdue at `now`?
EXPECTED: dict[str, bool] = {
    "fresh": False,
    "first_response_late": True,
    "first_response_due_exactly_now": False,  # "passed" is strictly after
    "responded_in_time_resolution_not_due": False,
    "responded_late_resolution_not_due": False,  # the response is no longer owed
    "resolution_late": True,
    "in_progress_resolution_late": True,
    "waiting_on_customer_paused_after_due": False,  # the clock stands still
    "paused_for_a_refund_after_due": False,
    "resumed_and_late": True,
    "resolved_late": False,
    "closed_late": False,
}


def overdue_scenarios(customer_id: str, now: datetime) -> dict[str, SupportCase]:
    def case(
        name: str,
        *,
        first_response_due: timedelta,
        resolution_due: timedelta,
        status: CaseStatus = CaseStatus.OPEN,
        responded: timedelta | None = None,
        paused: timedelta | None = None,
    ) -> SupportCase:
        made = SupportCase.open(
            customer_id=customer_id,
            subject=f"Overdue scenario {name} {uuid.uuid4().hex[:6]}",
            description="A case in one SLA situation.",
            category=CaseCategory.OTHER,
            priority=CasePriority.NORMAL,
            order_id=None,
            now=now - 3 * 24 * HOUR,
            rules=CaseRules(),
        )
        made.pull_events()
        made.status = status
        made.first_response_due_at = now + first_response_due
        made.resolution_due_at = now + resolution_due
        made.first_responded_at = None if responded is None else now + responded
        if paused is not None:
            made.paused_since = now + paused
            made.sla_pause_reasons = {SLA_WAITING_ON_CUSTOMER}
        if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            made.resolved_at = now - MINUTE
        if status is CaseStatus.CLOSED:
            made.closed_at = now - MINUTE
        return made

    day = 24 * HOUR
    return {
        "fresh": case("fresh", first_response_due=HOUR, resolution_due=day),
        "first_response_late": case(
            "first_response_late", first_response_due=-MINUTE, resolution_due=day
        ),
        "first_response_due_exactly_now": case(
            "first_response_due_exactly_now", first_response_due=timedelta(0), resolution_due=day
        ),
        "responded_in_time_resolution_not_due": case(
            "responded_in_time_resolution_not_due",
            first_response_due=-HOUR,
            resolution_due=day,
            responded=-2 * HOUR,
        ),
        "responded_late_resolution_not_due": case(
            "responded_late_resolution_not_due",
            first_response_due=-2 * HOUR,
            resolution_due=day,
            responded=-HOUR,
        ),
        "resolution_late": case(
            "resolution_late", first_response_due=-day, resolution_due=-MINUTE, responded=-day
        ),
        "in_progress_resolution_late": case(
            "in_progress_resolution_late",
            status=CaseStatus.IN_PROGRESS,
            first_response_due=-day,
            resolution_due=-HOUR,
            responded=-2 * day,
        ),
        "waiting_on_customer_paused_after_due": case(
            "waiting_on_customer_paused_after_due",
            status=CaseStatus.WAITING_ON_CUSTOMER,
            first_response_due=-2 * HOUR,
            resolution_due=-HOUR,
            paused=-30 * MINUTE,
        ),
        "paused_for_a_refund_after_due": case(
            "paused_for_a_refund_after_due",
            status=CaseStatus.IN_PROGRESS,
            first_response_due=-2 * HOUR,
            resolution_due=day,
            paused=-MINUTE,
        ),
        "resumed_and_late": case(
            "resumed_and_late",
            status=CaseStatus.IN_PROGRESS,
            first_response_due=-HOUR,
            resolution_due=day,
        ),
        "resolved_late": case(
            "resolved_late",
            status=CaseStatus.RESOLVED,
            first_response_due=-day,
            resolution_due=-HOUR,
            responded=-day,
        ),
        "closed_late": case(
            "closed_late",
            status=CaseStatus.CLOSED,
            first_response_due=-day,
            resolution_due=-HOUR,
        ),
    }

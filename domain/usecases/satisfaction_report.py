"""Satisfaction per agent and period (agents and admins), and the ratings of listed cases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from domain.errors import Forbidden
from domain.satisfaction import CaseRating, SatisfactionReport, check_period, report
from domain.usecases.services import Services
from domain.users import Principal

# The period of a report whose start is not given: the last 30 days before its end.
DEFAULT_REPORT_PERIOD = timedelta(days=30)


async def satisfaction_report(
    services: Services,
    principal: Principal,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    agent_id: str | None = None,
) -> SatisfactionReport:
    """The report of [since, until): `until` defaults to now, `since` to DEFAULT_REPORT_PERIOD
    before `until`."""
    if not principal.is_staff:
        raise Forbidden("Only agents and admins see satisfaction reports")
    until = until or services.clock.now()
    since = since or until - DEFAULT_REPORT_PERIOD
    check_period(since, until)
    async with services.uow() as uow:
        counts = await uow.ratings.score_counts(since=since, until=until, agent_id=agent_id)
    return report(counts, since=since, until=until, agent_id=agent_id)


async def ratings_of_cases(services: Services, case_ids: Sequence[str]) -> dict[str, CaseRating]:
    """The ratings of these cases (for cases the caller already may see)."""
    async with services.uow() as uow:
        return await uow.ratings.for_cases(case_ids)

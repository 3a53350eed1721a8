"""A customer rates their resolved case (domain.satisfaction)."""

from __future__ import annotations

from domain.cases import SupportCase
from domain.errors import Forbidden
from domain.satisfaction import CaseRating, RatingDenial, RatingNotAllowed, rate
from domain.usecases.services import Services, load_case
from domain.users import Principal


async def rate_case(
    services: Services, principal: Principal, case_id: str, score: int, comment: str | None
) -> tuple[CaseRating, SupportCase]:
    if principal.is_staff:  # a role decision: the same for every case
        raise Forbidden("Only the case's customer can rate it")
    async with services.uow() as uow:
        case = await load_case(uow, principal, case_id)
        existing = await uow.ratings.for_cases([case.id])
        rating, event = rate(
            case,
            rater=principal,
            score=score,
            comment=comment,
            already_rated=case.id in existing,
            now=services.clock.now(),
            rules=services.case_rules,
        )
        if not await uow.ratings.add(rating):  # rated concurrently, just now
            raise RatingNotAllowed(RatingDenial.ALREADY_RATED)
        uow.record(event)
        await uow.commit()
    await services.publish(uow.committed_events)
    return rating, case

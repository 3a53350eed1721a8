from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._cases import on_case
from app.graphql.permissions import IsAuthenticated
from app.graphql.types.errors import Conflict, NotFound, RatingNotAllowed, ValidationFailed
from app.graphql.types.objects import SupportCase
from app.graphql.types.satisfaction import CaseRating
from domain import cases as dc
from domain import satisfaction as ds
from domain.usecases import rate_case as use_case


@strawberry.input(description="The customer's rating of their resolved case.")
class RateCaseInput:
    case_id: strawberry.ID = strawberry.field(description="SupportCase.id")
    score: int = strawberry.field(description="1 (very unhappy) to 5 (very happy).")
    comment: str | None = strawberry.field(
        default=None, description="Optional, at most 1,000 characters."
    )


@strawberry.type(description="The rating was saved (it is in the case's timeline).")
class CaseRated:
    rating: CaseRating = strawberry.field(description="The rating.")
    support_case: SupportCase = strawberry.field(description="The rated case.")


RateCaseResult = CaseRated | RatingNotAllowed | ValidationFailed | NotFound | Conflict


def _rated(result: tuple[ds.CaseRating, dc.SupportCase]) -> CaseRated:
    rating, case = result
    return CaseRated(
        rating=CaseRating.from_domain(rating), support_case=SupportCase.from_domain(case)
    )


@mutation(
    permission_classes=[IsAuthenticated],
    description="Rate a resolved case, once, within the rating window (the case's customer "
    "only; agents and admins get FORBIDDEN).",
)
async def rate_case(info: Info, input: RateCaseInput) -> RateCaseResult:
    return await on_case(  # type: ignore[return-value]
        info, input.case_id, _rated, use_case.rate_case, input.score, input.comment
    )

"""Customer satisfaction: a case's rating, and the report per agent and period."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.graphql.context import Info
from app.graphql.fields import field
from app.graphql.types.from_model import from_model
from app.graphql.types.users import User, user_relation
from domain import satisfaction as ds


@strawberry.type(description="The customer's rating of a resolved case.")
class CaseRating:
    model: strawberry.Private[ds.CaseRating]
    score: int = strawberry.field(description="1 (very unhappy) to 5 (very happy).")
    comment: str | None = strawberry.field(description="What the customer wrote, if anything.")
    rated_at: datetime = strawberry.field(description="When the customer rated the case.")

    @field(description="The agent the case was assigned to when it was rated (null: nobody).")
    def agent(self, info: Info) -> User | None:
        return user_relation(info, self.model.agent_id)

    @classmethod
    def from_domain(cls, rating: ds.CaseRating) -> CaseRating:
        return from_model(cls, rating)


@strawberry.type(description="How many ratings gave one score.")
class ScoreCount:
    score: int = strawberry.field(description="1 to 5.")
    count: int = strawberry.field(description="How many ratings gave it.")


@strawberry.type(description="Ratings of one agent (or of everyone) in the report's period.")
class Satisfaction:
    model: strawberry.Private[ds.Satisfaction]

    def _agent(self, info: Info) -> User | None:
        return user_relation(info, self.model.agent_id)

    # A resolver declared in place (@field would list it after every plain field): the schema
    # keeps its field order.
    agent: User | None = strawberry.field(
        resolver=_agent,
        description="The agent (null: cases nobody was assigned to, or the overall line).",
    )
    count: int = strawberry.field(description="How many ratings.")
    average: float | None = strawberry.field(
        description="The average score, rounded to 2 decimals (null without ratings)."
    )
    distribution: list[ScoreCount] = strawberry.field(
        description="How many ratings of each score, 1 to 5 (always five entries)."
    )

    @classmethod
    def from_domain(cls, satisfaction: ds.Satisfaction) -> Satisfaction:
        return from_model(
            cls,
            satisfaction,
            distribution=[
                ScoreCount(score=score, count=count)
                for score, count in zip(ds.SCORES, satisfaction.distribution, strict=True)
            ],
        )


@strawberry.type(description="Customer satisfaction in a period, overall and per agent.")
class SatisfactionReport:
    model: strawberry.Private[ds.SatisfactionReport]
    since: datetime = strawberry.field(description="The period's start (inclusive).")
    until: datetime = strawberry.field(description="The period's end (exclusive).")
    overall: Satisfaction = strawberry.field(
        description="Every rating of the period (of the chosen agent, if one was given)."
    )
    agents: list[Satisfaction] = strawberry.field(
        description="Per agent, most ratings first (unassigned cases last)."
    )

    @classmethod
    def from_domain(cls, report: ds.SatisfactionReport) -> SatisfactionReport:
        return from_model(
            cls,
            report,
            overall=Satisfaction.from_domain(report.overall),
            agents=[Satisfaction.from_domain(s) for s in report.agents],
        )

"""Customer satisfaction: a case's rating, and the report per agent and period."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.graphql.context import Info
from app.graphql.fields import field
from app.graphql.types.users import User, user_relation
from domain import satisfaction as ds


@strawberry.type(description="The customer's rating of a resolved case.")
class CaseRating:
    model: strawberry.Private[ds.CaseRating]

    @field(description="1 (very unhappy) to 5 (very happy).")
    def score(self) -> int:
        return self.model.score

    @field(description="What the customer wrote, if anything.")
    def comment(self) -> str | None:
        return self.model.comment

    @field(description="When the customer rated the case.")
    def rated_at(self) -> datetime:
        return self.model.rated_at

    @field(description="The agent the case was assigned to when it was rated (null: nobody).")
    def agent(self, info: Info) -> User | None:
        return user_relation(info, self.model.agent_id)


@strawberry.type(description="How many ratings gave one score.")
class ScoreCount:
    score: int = strawberry.field(description="1 to 5.")
    count: int = strawberry.field(description="How many ratings gave it.")


@strawberry.type(description="Ratings of one agent (or of everyone) in the report's period.")
class Satisfaction:
    model: strawberry.Private[ds.Satisfaction]

    @field(description="The agent (null: cases nobody was assigned to, or the overall line).")
    def agent(self, info: Info) -> User | None:
        return user_relation(info, self.model.agent_id)

    @field(description="How many ratings.")
    def count(self) -> int:
        return self.model.count

    @field(description="The average score, rounded to 2 decimals (null without ratings).")
    def average(self) -> float | None:
        return self.model.average

    @field(description="How many ratings of each score, 1 to 5 (always five entries).")
    def distribution(self) -> list[ScoreCount]:
        return [
            ScoreCount(score=score, count=count)
            for score, count in zip(ds.SCORES, self.model.distribution, strict=True)
        ]


@strawberry.type(description="Customer satisfaction in a period, overall and per agent.")
class SatisfactionReport:
    model: strawberry.Private[ds.SatisfactionReport]

    @field(description="The period's start (inclusive).")
    def since(self) -> datetime:
        return self.model.since

    @field(description="The period's end (exclusive).")
    def until(self) -> datetime:
        return self.model.until

    @field(description="Every rating of the period (of the chosen agent, if one was given).")
    def overall(self) -> Satisfaction:
        return Satisfaction(model=self.model.overall)

    @field(description="Per agent, most ratings first (unassigned cases last).")
    def agents(self) -> list[Satisfaction]:
        return [Satisfaction(model=s) for s in self.model.agents]

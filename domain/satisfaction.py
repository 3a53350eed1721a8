"""Customer satisfaction: a resolved case's customer rates it once (1-5, optional comment).

Rules
- Only the case's customer rates (staff: Forbidden; another customer: the case does not exist).
- Only once the case is resolved (RESOLVED, or CLOSED after a resolution), and only within the
  rating window after the resolution (`CaseRules.rating_window`, 7 days by default).
- Once per case: the rating's key is the case (the database refuses a second one too).
- The rating is credited to the agent the case was assigned to when it was rated (or nobody).
- It is an entry of the case's timeline (CASE_RATED, public), so it reaches the live feed.

The report aggregates ratings of a period, overall and per agent: count, average, distribution.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.cases import CaseRules, CaseStatus, SupportCase, new_id
from domain.errors import ErrorCode, FieldError, Forbidden, NotAllowed, ValidationFailed
from domain.events import CaseEvent, CaseEventType
from domain.text import clean_text
from domain.users import Principal

SCORES = (1, 2, 3, 4, 5)
COMMENT_MAX = 1000
REPORT_MAX_PERIOD = timedelta(days=366)


class RatingDenial(enum.StrEnum):
    NOT_RESOLVED = "NOT_RESOLVED"
    WINDOW_CLOSED = "WINDOW_CLOSED"
    ALREADY_RATED = "ALREADY_RATED"


_DENIAL_MESSAGES: dict[RatingDenial, str] = {
    RatingDenial.NOT_RESOLVED: "A case can be rated once it is resolved.",
    RatingDenial.WINDOW_CLOSED: "The time to rate this case has passed.",
    RatingDenial.ALREADY_RATED: "This case has already been rated.",
}


class RatingNotAllowed(NotAllowed[RatingDenial]):
    code = ErrorCode.RATING_NOT_ALLOWED
    messages = _DENIAL_MESSAGES


@dataclass(frozen=True, slots=True)
class CaseRating:
    case_id: str
    customer_id: str
    agent_id: str | None  # the case's assignee when it was rated
    score: int
    comment: str | None
    rated_at: datetime
    event_id: str


def rating_window_ends_at(case: SupportCase, rules: CaseRules) -> datetime | None:
    """Until when the case can be rated (None: it is not resolved, so no window is open)."""
    if case.resolved_at is None or case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        return None
    return case.resolved_at + rules.rating_window


def rate(
    case: SupportCase,
    *,
    rater: Principal,
    score: int,
    comment: str | None,
    already_rated: bool,
    now: datetime,
    rules: CaseRules,
) -> tuple[CaseRating, CaseEvent]:
    """The rating and its timeline entry (the caller stores both in one transaction)."""
    # Staff never rate; another customer's case is already hidden by the caller's load.
    if rater.is_staff or rater.user_id != case.customer_id:
        raise Forbidden("Only the case's customer can rate it")
    errors: list[FieldError] = []
    if isinstance(score, bool) or score not in SCORES:
        errors.append(FieldError("score", "must be a whole number from 1 to 5"))
    text: str | None = None
    if comment is not None and comment.strip():
        text = clean_text(comment, "comment", max_length=COMMENT_MAX, multiline=True, errors=errors)
    if errors:
        raise ValidationFailed(errors)
    if already_rated:
        raise RatingNotAllowed(RatingDenial.ALREADY_RATED)
    ends = rating_window_ends_at(case, rules)
    if ends is None:
        raise RatingNotAllowed(RatingDenial.NOT_RESOLVED)
    if now > ends:
        raise RatingNotAllowed(RatingDenial.WINDOW_CLOSED)
    event_id = new_id()
    rating = CaseRating(
        case_id=case.id,
        customer_id=case.customer_id,
        agent_id=case.assignee_id,
        score=score,
        comment=text,
        rated_at=now,
        event_id=event_id,
    )
    summary = f"Rated {score}/5 by the customer"
    event = CaseEvent(
        id=event_id,
        case_id=case.id,
        type=CaseEventType.CASE_RATED,
        occurred_at=now,
        summary=summary,
        actor_id=rater.user_id,
        after=str(score),
    )
    return rating, event


# -- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoreCount:
    """`count` ratings of `score` (of one agent, or None: unassigned cases), in a period."""

    agent_id: str | None
    score: int
    count: int


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """Ratings of one agent (or everyone) in a period."""

    agent_id: str | None
    distribution: tuple[int, int, int, int, int]  # how many 1s, 2s, 3s, 4s, 5s

    @property
    def count(self) -> int:
        return sum(self.distribution)

    @property
    def average(self) -> float | None:
        if not self.count:
            return None
        total = sum(score * n for score, n in zip(SCORES, self.distribution, strict=True))
        return round(total / self.count, 2)


@dataclass(frozen=True, slots=True)
class SatisfactionReport:
    since: datetime
    until: datetime
    overall: Satisfaction
    agents: tuple[Satisfaction, ...]  # rated agents, most ratings first (None = unassigned last)


def _distribution(counts: Iterable[ScoreCount]) -> tuple[int, int, int, int, int]:
    cells = [0, 0, 0, 0, 0]
    for c in counts:
        if c.score in SCORES:
            cells[c.score - 1] += c.count
    return (cells[0], cells[1], cells[2], cells[3], cells[4])


def check_period(since: datetime, until: datetime) -> None:
    if until <= since:
        raise ValidationFailed.single("until", "must be after since")
    if until - since > REPORT_MAX_PERIOD:
        raise ValidationFailed.single("since", "a report covers at most 366 days")


def report(
    counts: list[ScoreCount], *, since: datetime, until: datetime, agent_id: str | None = None
) -> SatisfactionReport:
    """Aggregate per-agent score counts (already restricted to the period and, with
    `agent_id`, to that agent)."""
    agents: dict[str | None, list[ScoreCount]] = {}
    for c in counts:
        agents.setdefault(c.agent_id, []).append(c)
    per_agent = [Satisfaction(a, _distribution(cs)) for a, cs in agents.items()]
    per_agent.sort(key=lambda s: (s.agent_id is None, -s.count, s.agent_id or ""))
    return SatisfactionReport(
        since=since,
        until=until,
        overall=Satisfaction(agent_id, _distribution(counts)),
        agents=tuple(per_agent),
    )

"""Resolved cases close by themselves after the auto-close period (DOMAIN.md), once, with a
timeline entry by nobody; a reopened case does not."""

from __future__ import annotations

from adapters.memory.sla import InMemorySlaBreachLog
from app.scheduler import CaseScheduler
from domain.cases import CaseCategory, CaseStatus, SupportCase
from domain.events import CaseEventType
from domain.usecases.auto_close import close_resolved_cases
from domain.usecases.change_case_status import change_case_status
from domain.usecases.open_case import OpenCase, open_case
from tests.unit.builders import World


async def resolved_case(w: World, subject: str = "Fixed") -> SupportCase:
    case = await open_case(
        w.services,
        w.alice,
        OpenCase(subject=subject, description="Please help", category=CaseCategory.OTHER),
    )
    return await change_case_status(w.services, w.agent, case.id, CaseStatus.RESOLVED)


def closings(w: World, case_id: str) -> list[tuple[str | None, str | None, str | None]]:
    return [
        (e.before, e.after, e.actor_id)
        for e in w.store.events
        if e.case_id == case_id and e.type is CaseEventType.STATUS_CHANGED and e.after == "CLOSED"
    ]


async def test_resolved_cases_close_after_the_period_once(world: World) -> None:
    w = world
    case = await resolved_case(w)
    w.clock.advance(days=6, hours=23)
    assert await close_resolved_cases(w.services) == []  # not yet: 7 days
    w.clock.advance(hours=1)
    assert await close_resolved_cases(w.services) == [case.id]
    assert await close_resolved_cases(w.services) == []  # once
    assert w.store.cases[case.id].status is CaseStatus.CLOSED
    assert closings(w, case.id) == [("RESOLVED", "CLOSED", None)]  # in the timeline, by nobody
    assert w.publisher.events[-1].case_id == case.id  # and in the live feed


async def test_a_reopened_case_stays_open(world: World) -> None:
    w = world
    reopened = await resolved_case(w, "Came back")
    w.clock.advance(days=3)
    await change_case_status(w.services, w.alice, reopened.id, CaseStatus.OPEN)
    w.clock.advance(days=10)
    assert await close_resolved_cases(w.services) == []
    assert w.store.cases[reopened.id].status is CaseStatus.OPEN


async def test_the_scheduler_runs_it_in_batches(world: World) -> None:
    w = world
    cases = [await resolved_case(w, f"Case {i}") for i in range(5)]
    w.clock.advance(days=8)
    scheduler = CaseScheduler(w.services, InMemorySlaBreachLog(w.store), batch_size=2)
    await scheduler.run_once()
    assert {w.store.cases[c.id].status for c in cases} == {CaseStatus.CLOSED}

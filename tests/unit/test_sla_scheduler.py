"""SLA breaches: announced once per case per due time, as internal SLA_BREACHED events."""

from __future__ import annotations

from adapters.memory.sla import InMemorySlaBreachLog
from app.scheduler import CaseScheduler
from domain.cases import CaseCategory, CasePriority, CaseStatus, SupportCase
from domain.events import CaseEventType
from domain.sla import SlaKind
from domain.usecases.change_case_status import change_case_status
from domain.usecases.open_case import OpenCase, open_case
from domain.usecases.post_message import post_message
from domain.usecases.set_case_priority import set_case_priority
from domain.usecases.sla import announce_sla_breaches
from tests.unit.builders import World


async def open_normal(w: World) -> SupportCase:
    return await open_case(
        w.services,
        w.alice,
        OpenCase(subject="Late parcel", description="Where is it?", category=CaseCategory.OTHER),
    )


def breaches(w: World) -> list[tuple[str, str | None, str | None]]:
    return [
        (e.case_id, e.after, e.before)
        for e in w.store.events
        if e.type is CaseEventType.SLA_BREACHED
    ]


async def test_each_due_time_is_announced_once(world: World) -> None:
    w = world
    log = InMemorySlaBreachLog(w.store)
    case = await open_normal(w)  # NORMAL: first response due in 24 h, resolution in 72 h
    assert await announce_sla_breaches(w.services, log) == []
    w.clock.advance(hours=25)
    (first,) = await announce_sla_breaches(w.services, log)
    assert (first.case_id, first.kind) == (case.id, SlaKind.FIRST_RESPONSE)
    assert await announce_sla_breaches(w.services, log) == []  # once
    event = w.store.events[-1]
    assert event.type is CaseEventType.SLA_BREACHED and event.internal and event.actor_id is None
    assert event.after == "FIRST_RESPONSE" and "First response" in event.summary
    assert w.publisher.events[-1] == event  # published after commit, for live subscribers
    w.clock.advance(hours=48)
    (resolution,) = await announce_sla_breaches(w.services, log)
    assert resolution.kind is SlaKind.RESOLUTION
    assert len(breaches(w)) == 2


async def test_a_moved_due_time_is_a_new_one(world: World) -> None:
    w = world
    log = InMemorySlaBreachLog(w.store)
    case = await open_normal(w)
    w.clock.advance(hours=2)
    await set_case_priority(w.services, w.agent, case.id, CasePriority.URGENT)  # due 1 h: passed
    (urgent,) = await announce_sla_breaches(w.services, log)
    await set_case_priority(w.services, w.agent, case.id, CasePriority.HIGH)  # due 4 h: not yet
    assert await announce_sla_breaches(w.services, log) == []
    w.clock.advance(hours=3)
    (high,) = await announce_sla_breaches(w.services, log)
    assert high.kind is SlaKind.FIRST_RESPONSE and high.due_at != urgent.due_at
    assert len(breaches(w)) == 2


async def test_met_or_paused_due_times_are_not_announced(world: World) -> None:
    w = world
    log = InMemorySlaBreachLog(w.store)
    answered = await open_normal(w)
    waiting = await open_normal(w)
    await post_message(w.services, w.agent, answered.id, "On it")  # first response in time
    await change_case_status(w.services, w.agent, waiting.id, CaseStatus.IN_PROGRESS)
    await post_message(w.services, w.agent, waiting.id, "Need a photo")
    await change_case_status(w.services, w.agent, waiting.id, CaseStatus.WAITING_ON_CUSTOMER)
    w.clock.advance(hours=80)  # both past 72 h resolution, but `waiting` is paused
    announced = await announce_sla_breaches(w.services, log)
    assert [(b.case_id, b.kind) for b in announced] == [(answered.id, SlaKind.RESOLUTION)]


async def test_the_scheduler_drains_a_backlog_in_batches(world: World) -> None:
    w = world
    log = InMemorySlaBreachLog(w.store)
    for _ in range(5):
        await open_normal(w)
    w.clock.advance(hours=25)
    scheduler = CaseScheduler(w.services, log, interval_seconds=60, batch_size=2)
    assert await scheduler.run_once() == 5
    assert await scheduler.run_once() == 0
    async with scheduler.running():
        pass  # starts and stops cleanly

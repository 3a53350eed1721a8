"""The auto-close step of the case scheduler: RESOLVED cases close on their own once the
auto-close period (DOMAIN.md: 7 days, `CaseRules.auto_close_after`) has passed without a reopen.

Each case closes in its own transaction, re-checked under a row lock, so several schedulers at
once (workers, an embedded app) close a case once: the second finds it CLOSED and moves on. The
move is an ordinary status change by nobody (actor null), so it lands in the timeline and the
live feed like any other.
"""

from __future__ import annotations

from domain.usecases.services import Services

DEFAULT_BATCH = 200


async def close_resolved_cases(services: Services, *, limit: int = DEFAULT_BATCH) -> list[str]:
    """One pass: the ids of the cases closed now (at most `limit` candidates looked at)."""
    now = services.clock.now()
    cutoff = now - services.case_rules.auto_close_after
    closed: list[str] = []
    for case_id in await services.reads.resolved_case_ids(resolved_before=cutoff, limit=limit):
        async with services.uow() as uow:
            case = await uow.cases.get(case_id, for_update=True)
            if case is None or not case.close_if_due(now=now, rules=services.case_rules):
                continue  # reopened, already closed, or not yet due since it was read
            await uow.cases.save(case)
            await uow.commit()
        await services.publish(uow.committed_events)
        closed.append(case_id)
    return closed

"""The SLA scheduler's step: announce every passed due time once (SLA_BREACHED events).

"Once per case per due time": the breach log remembers (case, kind, due time) in the same
transaction that appends the event, so concurrent schedulers (several workers, or a worker and an
embedded app) cannot announce one breach twice; a due time that moves (new priority, a pause)
is a new due time and is announced again if it passes too.

SLA_BREACHED events are internal (staff alerts): customers see the breach flags on the case, not
the alert in their timeline.
"""

from __future__ import annotations

from domain.cases import new_id
from domain.events import CaseEvent, CaseEventType
from domain.ports import SlaBreachLog
from domain.sla import SlaBreach, breach_summary, current_breach
from domain.usecases.services import Services

DEFAULT_BATCH = 200


async def announce_sla_breaches(
    services: Services, breaches: SlaBreachLog, *, limit: int = DEFAULT_BATCH
) -> list[SlaBreach]:
    """One pass: the breaches announced now (at most `limit` candidates looked at)."""
    now = services.clock.now()
    announced: list[SlaBreach] = []
    for candidate in await breaches.candidates(now, limit=limit):
        async with services.uow() as uow:
            case = await uow.cases.get(candidate.case_id)
            if case is None:
                continue
            breach = current_breach(case, candidate.kind, now)
            if breach is None or breach != candidate:
                continue  # met, paused, or its due time moved since the candidate was read
            event = CaseEvent(
                id=new_id(),
                case_id=case.id,
                type=CaseEventType.SLA_BREACHED,
                occurred_at=now,
                summary=breach_summary(breach),
                internal=True,
                before=breach.due_at.isoformat(),
                after=breach.kind.value,
            )
            if not await breaches.claim(uow, breach, event_id=event.id, now=now):
                continue
            uow.record(event)
            await uow.commit()
        await services.publish(uow.committed_events)
        announced.append(breach)
    return announced

"""The order system tells us an order changed (a verified webhook): apply it exactly once.

1. The service's copies of the order stop being fresh (`OrderChanges`, the order cache), before
   anything is stored: if that fails, nothing is stored and the delivery fails, so the sender
   delivers it again. Doing it again for a duplicate or an outdated event is harmless (it only
   makes the next read ask the order system).
2. One transaction: the delivery id is recorded (a duplicate stops here, with nothing written);
   the order's version advances only if the event is newer than what was applied (an outdated
   event is recorded and has no other effect); every case about the order gets an ORDER_UPDATED
   entry in its timeline (customers see it: the summary holds nothing internal).
3. After commit, the new timeline entries are published to live subscribers.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.cases import new_id
from domain.events import CaseEvent, CaseEventType
from domain.order_events import OrderEvent, OrderEventOutcome, timeline_summary
from domain.ports import OrderChanges
from domain.usecases.services import Services


@dataclass(frozen=True, slots=True)
class OrderEventResult:
    outcome: OrderEventOutcome
    case_ids: tuple[str, ...] = ()  # the cases whose timeline got an entry


async def apply_order_event(
    services: Services, changes: OrderChanges, event: OrderEvent
) -> OrderEventResult:
    received_at = services.clock.now()
    order = event.order
    # The change is known from the later of the two instants (the sender's clock may lag ours).
    await changes.order_changed([order.id], known_at=max(event.changed_at, received_at))

    async with services.uow() as uow:
        first = await uow.order_webhooks.record_delivery(
            event.delivery_id,
            event_type=event.type.value,
            order_id=order.id,
            received_at=received_at,
        )
        if not first:
            return OrderEventResult(OrderEventOutcome.DUPLICATE)  # rolls back: nothing written
        advance = await uow.order_webhooks.advance_order(
            order.id, version=event.version, status=order.status, changed_at=event.changed_at
        )
        if not advance.advanced:
            await uow.commit()  # the delivery is remembered; the newer state stays
            return OrderEventResult(OrderEventOutcome.OUTDATED)
        case_ids = await uow.cases.ids_for_order(order.id)
        summary = timeline_summary(event, advance.previous_status)
        uow.record(
            *(
                CaseEvent(
                    id=new_id(),
                    case_id=case_id,
                    type=CaseEventType.ORDER_UPDATED,
                    occurred_at=received_at,
                    summary=summary,
                    actor_id=None,  # the order system
                    before=advance.previous_status.value if advance.previous_status else None,
                    after=order.status.value,
                )
                for case_id in case_ids
            )
        )
        await uow.commit()
    await services.publish(uow.committed_events)
    return OrderEventResult(OrderEventOutcome.APPLIED, tuple(case_ids))

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

The verified payload is stored with the delivery id, so that an admin can replay a delivery
within the replay window (`replay_order_webhook`: steps 1-3 again, without the duplicate check,
audited).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.admin import AdminActor, AuditAction
from domain.cases import new_id
from domain.errors import NotFound, ValidationFailed
from domain.events import CaseEvent, CaseEventType
from domain.order_events import OrderEvent, OrderEventOutcome, StoredDelivery, timeline_summary
from domain.ports import OrderChanges, UnitOfWork
from domain.usecases.ops import audit, require_admin
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
            StoredDelivery(
                event.delivery_id,
                event_type=event.type.value,
                order_id=order.id,
                received_at=received_at,
                payload=event.payload,
            )
        )
        if not first:
            return OrderEventResult(OrderEventOutcome.DUPLICATE)  # rolls back: nothing written
        result = await _advance(services, uow, event, received_at)
        await uow.commit()
    await services.publish(uow.committed_events)
    return result


async def _advance(
    services: Services, uow: UnitOfWork, event: OrderEvent, received_at: datetime
) -> OrderEventResult:
    """Step 2 after the delivery id: the order's version, and the timelines if it advanced."""
    order = event.order
    advance = await uow.order_webhooks.advance_order(
        order.id, version=event.version, status=order.status, changed_at=event.changed_at
    )
    if not advance.advanced:
        return OrderEventResult(OrderEventOutcome.OUTDATED)  # the newer state stays
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
    return OrderEventResult(OrderEventOutcome.APPLIED, tuple(case_ids))


async def replay_order_webhook(
    services: Services, actor: AdminActor, delivery_id: str
) -> OrderEventResult:
    """An admin applies a stored delivery again (its payload, kept with the delivery id): the
    order cache learns of the change again, and the order's version and the case timelines
    advance if the event is newer than what is applied (after a restore from a backup, say);
    else it is OUTDATED and changes nothing more. Audited (ORDER_WEBHOOK_REPLAYED) in the
    transaction of its effect. Raises NotFound (no such delivery, e.g. pruned after the replay
    window) and ValidationFailed (stored without its payload, or not an event any more)."""
    require_admin(actor)
    decoder, changes = services.order_events, services.order_changes
    if decoder is None or changes is None:
        raise ValidationFailed.single("deliveryId", "replays are not available here")
    async with services.uow() as uow:
        stored = await uow.order_webhooks.stored_delivery(delivery_id)
    if stored is None:
        raise NotFound("Webhook delivery")
    if stored.payload is None:
        raise ValidationFailed.single(
            "deliveryId", "was stored without its payload (before payloads were kept)"
        )
    received_at = services.clock.now()
    try:
        event = decoder.decode(stored.delivery_id, stored.payload, now=received_at)
    except ValueError as exc:
        raise ValidationFailed.single("deliveryId", f"its payload is not an event: {exc}") from None
    if event is None:
        raise ValidationFailed.single("deliveryId", "its event type is not handled")
    await changes.order_changed([event.order.id], known_at=max(event.changed_at, received_at))
    async with services.uow() as uow:
        result = await _advance(services, uow, event, received_at)
        await audit(
            services,
            uow,
            actor,
            AuditAction.ORDER_WEBHOOK_REPLAYED,
            delivery=delivery_id,
            order=event.order.id,
            outcome=result.outcome.value,
        )
        await uow.commit()
    await services.publish(uow.committed_events)
    return result

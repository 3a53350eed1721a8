"""InMemoryOrderWebhookInbox: domain.ports.OrderWebhookInbox for the in-process unit of work.

Like the SQL adapter: the delivery id and the order's version row are locked until the unit
ends (a concurrent unit with the same id, or the same order, waits), and the writes are applied
only when the unit commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from domain.order_events import OrderVersionAdvance, StoredDelivery
from domain.orders import OrderStatus

if TYPE_CHECKING:
    from adapters.memory.store import InMemoryStore
    from adapters.memory.uow import InMemoryUnitOfWork


@dataclass(frozen=True, slots=True)
class StoredOrderVersion:
    order_id: str
    version: int
    status: OrderStatus
    changed_at: datetime


class InMemoryOrderWebhookInbox:
    def __init__(self, unit: InMemoryUnitOfWork, store: InMemoryStore) -> None:
        self._unit = unit
        self._store = store
        self.deliveries: dict[str, StoredDelivery] = {}
        self.versions: dict[str, StoredOrderVersion] = {}

    async def record_delivery(self, delivery: StoredDelivery) -> bool:
        delivery_id = delivery.delivery_id
        await self._unit.lock(f"order-webhook:{delivery_id}")
        if delivery_id in self._store.order_webhook_deliveries or delivery_id in self.deliveries:
            return False
        self.deliveries[delivery_id] = delivery
        return True

    async def stored_delivery(self, delivery_id: str) -> StoredDelivery | None:
        return self.deliveries.get(delivery_id) or self._store.order_webhook_deliveries.get(
            delivery_id
        )

    async def advance_order(
        self, order_id: str, *, version: int, status: OrderStatus, changed_at: datetime
    ) -> OrderVersionAdvance:
        await self._unit.lock(f"order-version:{order_id}")
        current = self.versions.get(order_id) or self._store.order_versions.get(order_id)
        if current is not None and version <= current.version:
            return OrderVersionAdvance(advanced=False, previous_status=current.status)
        self.versions[order_id] = StoredOrderVersion(order_id, version, status, changed_at)
        return OrderVersionAdvance(
            advanced=True, previous_status=current.status if current is not None else None
        )

    def apply(self) -> None:
        self._store.order_webhook_deliveries.update(self.deliveries)
        self._store.order_versions.update(self.versions)

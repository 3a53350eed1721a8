"""DataLoaders, created fresh for every request: one per relation, named <target>_by_<key>."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from aiodataloader import DataLoader

from app.observability.metrics import observe_batch
from domain.cases import Message, SupportCase
from domain.errors import OrdersPartiallyUnavailable, OrderSystemUnavailable
from domain.events import CaseEvent
from domain.orders import Order
from domain.outbound_webhooks import WebhookEndpoint
from domain.queries import EventPageRequest, MessagePageRequest, Page, RefundPageRequest
from domain.refunds import Refund
from domain.satisfaction import CaseRating
from domain.usecases.satisfaction_report import ratings_of_cases
from domain.usecases.services import Services
from domain.users import User

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _MappingLoader(DataLoader[K, V | None], Generic[K, V]):
    """Batches keys into one call of `fetch(keys) -> {key: value}`; missing keys load as None."""

    def __init__(
        self, fetch: Callable[[Sequence[K]], Awaitable[dict[K, V]]], name: str = "other"
    ) -> None:
        super().__init__(max_batch_size=500)
        self._fetch = fetch
        self.name = name

    async def batch_load_fn(self, keys: Sequence[K]) -> list[V | None]:
        observe_batch(self.name, len(keys))
        found = await self._fetch(keys)
        return [found.get(key) for key in keys]


class _OrderLoader(_MappingLoader[str, Order]):
    """Orders come from the order system; one failure fails the batch as values, not as a raise,
    so that each field can report it."""

    async def batch_load_fn(self, keys: Sequence[str]) -> list[Any]:
        observe_batch(self.name, len(keys))
        try:
            found = await self._fetch(keys)
        except OrdersPartiallyUnavailable as exc:
            # Serve what could be served (stale copies say so); fail only the missing ones.
            return [exc.available.get(key, exc) for key in keys]
        except OrderSystemUnavailable as exc:
            return [exc for _ in keys]
        return [found.get(key) for key in keys]


class Loaders:
    def __init__(self, services: Services) -> None:
        reads = services.reads
        self.user_by_id: _MappingLoader[str, User] = _MappingLoader(
            reads.users_by_ids, "user_by_id"
        )
        self.case_by_id: _MappingLoader[str, SupportCase] = _MappingLoader(
            reads.cases_by_ids, "case_by_id"
        )
        self.message_by_id: _MappingLoader[str, Message] = _MappingLoader(
            reads.messages_by_ids, "message_by_id"
        )
        self.refund_by_id: _MappingLoader[str, Refund] = _MappingLoader(
            reads.refunds_by_ids, "refund_by_id"
        )
        self.refunds_by_case_id: _MappingLoader[str, list[Refund]] = _MappingLoader(
            reads.refunds_for_cases, "refunds_by_case_id"
        )
        # SupportCase.refundsConnection: one page per (case, first, after), batched over a list.
        self.refund_page_by_case: _MappingLoader[RefundPageRequest, Page[Refund]] = _MappingLoader(
            reads.refund_pages_for_cases, "refund_page_by_case"
        )
        # SupportCase.messages / timeline: one page per (case, first, after, visibility), batched
        # over a list of cases (one window statement).
        self.message_page_by_case: _MappingLoader[MessagePageRequest, Page[Message]] = (
            _MappingLoader(reads.message_pages_for_cases, "message_page_by_case")
        )
        self.event_page_by_case: _MappingLoader[EventPageRequest, Page[CaseEvent]] = _MappingLoader(
            reads.event_pages_for_cases, "event_page_by_case"
        )
        self.refund_count_by_case_id: _MappingLoader[str, int] = _MappingLoader(
            reads.count_refunds_for_cases, "refund_count_by_case_id"
        )
        self.refunds_by_order_id: _MappingLoader[str, list[Refund]] = _MappingLoader(
            reads.refunds_for_orders, "refunds_by_order_id"
        )
        self.order_by_id: _OrderLoader = _OrderLoader(services.orders.get_orders, "order_by_id")

        async def _ratings(ids: Sequence[str]) -> dict[str, CaseRating]:
            return await ratings_of_cases(services, ids)

        self.rating_by_case_id: _MappingLoader[str, CaseRating] = _MappingLoader(_ratings)

        async def _last_public(ids: Sequence[str]) -> dict[str, Message]:
            return await reads.last_messages(ids, include_internal=False)

        async def _last_any(ids: Sequence[str]) -> dict[str, Message]:
            return await reads.last_messages(ids, include_internal=True)

        self.last_public_message_by_case_id: _MappingLoader[str, Message] = _MappingLoader(
            _last_public, "last_public_message_by_case_id"
        )
        self.last_message_by_case_id: _MappingLoader[str, Message] = _MappingLoader(
            _last_any, "last_message_by_case_id"
        )

        async def _webhook_endpoints(ids: Sequence[str]) -> dict[str, WebhookEndpoint]:
            # Endpoints are few (an admin registers them): one query reads them all.
            if services.webhooks is None:
                return {}
            wanted = set(ids)
            return {e.id: e for e in await services.webhooks.list_endpoints() if e.id in wanted}

        # WebhookDelivery.endpoint (admins only: the query above it checks).
        self.webhook_endpoint_by_id: _MappingLoader[str, WebhookEndpoint] = _MappingLoader(
            _webhook_endpoints, "webhook_endpoint_by_id"
        )

"""What every use case runs with: the ports and the rules in force (wired by the app)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import visibility
from domain.cases import CaseRules, SupportCase
from domain.errors import NotFound
from domain.events import CaseEvent
from domain.outbound_webhooks import WebhookDeliveryPolicy
from domain.payments import PaymentGateway
from domain.ports import (
    AccessTokenService,
    Clock,
    EventPublisher,
    OrderChanges,
    OrderEventDecoder,
    OrderSystem,
    PasswordHasher,
    RateLimiter,
    SessionNotices,
    UnitOfWork,
    UnitOfWorkFactory,
    WebhookSender,
    WebhookStore,
)
from domain.queries import ReadStore
from domain.refund_jobs import RefundExecutionPolicy
from domain.refunds import Refund, RefundPolicy
from domain.users import Principal

_log = logging.getLogger("domain.publish")


@dataclass(frozen=True, slots=True)
class AuthRules:
    refresh_token_ttl: timedelta = timedelta(days=14)
    login_attempts_per_minute: int = 10


@dataclass(frozen=True, slots=True)
class Services:
    uow: UnitOfWorkFactory
    reads: ReadStore
    clock: Clock
    orders: OrderSystem
    publisher: EventPublisher
    passwords: PasswordHasher
    access_tokens: AccessTokenService
    rate_limiter: RateLimiter
    # (opaque token for the client, hash to store) and the hash of a presented token
    new_refresh_token: Callable[[], tuple[str, str]]
    hash_refresh_token: Callable[[str], str]
    case_rules: CaseRules = CaseRules()
    refund_policy: RefundPolicy = RefundPolicy()
    auth_rules: AuthRules = AuthRules()
    # The refund worker's: the payment gateway (None where nothing pays, e.g. an API-only
    # test) and its pacing.
    payments: PaymentGateway | None = None
    refund_execution: RefundExecutionPolicy = RefundExecutionPolicy()
    # Where "this user's sessions ended" is announced (admin actions), so that live sockets
    # close at once on every instance; None: only their periodic session check notices.
    session_notices: SessionNotices | None = None
    # Outbound webhooks (domain.outbound_webhooks): the admin's endpoints and the deliveries
    # (None: not wired, e.g. in-memory tests), the sender of the webhook worker and its pacing.
    webhooks: WebhookStore | None = None
    webhook_sender: WebhookSender | None = None
    webhook_delivery: WebhookDeliveryPolicy = WebhookDeliveryPolicy()
    # Replaying stored order webhook deliveries (admins): reading a payload back into its event,
    # and the order cache that must learn of the change again. None: replays are unavailable.
    order_events: OrderEventDecoder | None = None
    order_changes: OrderChanges | None = None

    async def publish(self, events: list[CaseEvent]) -> None:
        """Announce committed events. Never raises: the events are committed and in the case
        event log, where every subscriber finds them (a write that committed must never be
        reported as failed because a notification could not go out)."""
        if not events:
            return
        try:
            await self.publisher.publish(events)
        except Exception:  # noqa: BLE001 - see above; the broker's outage is logged, not raised
            _log.warning(
                "could not publish %d committed event(s); subscribers catch up from the log",
                len(events),
                exc_info=True,
            )


async def load_case(
    uow: UnitOfWork, principal: Principal, case_id: str, *, for_update: bool = False
) -> SupportCase:
    """The case, if it exists and the principal may see it; otherwise NotFound (never Forbidden)."""
    case = await uow.cases.get(case_id, for_update=for_update)
    if case is None or not case.visible_to(principal):
        raise NotFound("Case")
    return case


async def change_case(
    services: Services,
    principal: Principal,
    case_id: str,
    change: Callable[[SupportCase, datetime], None],
) -> SupportCase:
    """Load the case (as `load_case`), apply `change(case, now)`, save and commit it, then
    publish its events: the whole of a use case that only changes the case itself."""
    async with services.uow() as uow:
        case = await load_case(uow, principal, case_id)
        change(case, services.clock.now())
        await uow.cases.save(case)
        await uow.commit()
    await services.publish(uow.committed_events)
    return case


async def load_refund(
    uow: UnitOfWork, principal: Principal, refund_id: str, *, for_update: bool = False
) -> Refund:
    refund = await uow.refunds.get(refund_id, for_update=for_update)
    if refund is None or not visibility.may_see_refund(principal, refund):
        raise NotFound("Refund")
    return refund

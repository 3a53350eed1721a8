"""The Subscription type: live case events over WebSocket (graphql-transport-ws only).

Authorization happens before the stream starts (an unauthorized subscription gets one
graphql-transport-ws `error` message and nothing else) and again for every event: the domain
feed checks the event against what the principal may see, and the connection checks that the
token has not expired and the session was not ended.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from app.graphql.context import Context, Info
from app.graphql.cost import CostReport
from app.graphql.errors import (
    ForbiddenError,
    InvalidArgument,
    NotFoundError,
    ServiceUnavailable,
    Unauthenticated,
)
from app.graphql.fields import subscription
from app.graphql.ids import decode_expected
from app.graphql.shared_events import current_operation
from app.graphql.types.objects import CaseEvent
from app.observability.metrics import subscription_ended, subscription_started
from domain.errors import Forbidden, NotFound, ValidationFailed
from domain.live import LiveUpdatesUnavailable, SubscriberTooSlow
from domain.usecases.live_events import (
    CaseEventFeed,
    follow_case_events,
    open_case_event_feed,
)

_CASE_NOT_FOUND = "Case not found"


async def _events(
    context: Context, feed: CaseEventFeed, cost: CostReport | None
) -> AsyncGenerator[CaseEvent, None]:
    live = context.live
    connection = context.connection
    assert live is not None and connection is not None  # checked before the stream starts
    operation = current_operation.get()
    subscription_started("caseEvents")
    try:
        if live.shared is not None and feed.after_sequence is None and operation is not None:
            # Executed once per group of subscribers that get the same bytes, written to this
            # socket by this task (app.graphql.shared_events); nothing is yielded here.
            await live.shared.follow(context, feed, operation, cost)
        async for event in follow_case_events(
            context.services, live.broker, feed, max_pending=live.max_pending, log=live.log
        ):
            if not connection.authorized():
                await connection.close_unauthorized()
            context.begin_event()
            yield CaseEvent.from_domain(event)
    except SubscriberTooSlow:
        await connection.close_too_slow()
    except LiveUpdatesUnavailable:
        raise ServiceUnavailable("Live updates are unavailable right now; retry shortly") from None
    finally:
        subscription_ended("caseEvents")


@strawberry.type(description="Live updates, over WebSocket `/graphql` (graphql-transport-ws).")
class Subscription:
    @subscription(
        description=(
            "The events of one case (`caseId`), or of every case (agents and admins only), "
            "as they are committed. Customers may follow only a case of theirs and never "
            "receive internal events. With `after` (a CaseEvent `cursor`), every event after "
            "it is replayed from the case event log first, then the stream continues live, "
            "without gaps or duplicates: reconnect with the last cursor you received."
        )
    )
    async def case_events(
        self,
        info: Info,
        case_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="A SupportCase id; omit for every case (staff only)."),
        ] = None,
        after: Annotated[
            str | None,
            strawberry.argument(description="Replay the events after this CaseEvent cursor first."),
        ] = None,
    ) -> AsyncGenerator[CaseEvent, None]:
        context = info.context
        # This operation's own cost report (charged when it started), for its first message.
        cost = context.cost_meter.report if context.cost_meter is not None else None
        principal = context.require_principal()
        if context.live is None or context.connection is None:
            raise Unauthenticated("Subscriptions run over the WebSocket at /graphql")
        internal_case_id: str | None = None
        if case_id is not None:
            internal_case_id = decode_expected(case_id, "SupportCase")
            if internal_case_id is None:
                raise NotFoundError(_CASE_NOT_FOUND)
        try:
            feed = await open_case_event_feed(
                context.services, principal, case_id=internal_case_id, after=after
            )
        except NotFound:
            raise NotFoundError(_CASE_NOT_FOUND) from None
        except Forbidden as exc:
            raise ForbiddenError(exc.message) from None
        except ValidationFailed:
            raise InvalidArgument("after is not a valid CaseEvent cursor") from None
        return _events(context, feed, cost)

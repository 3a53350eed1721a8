"""The typed per-request context: who is asking, the use cases, and fresh DataLoaders.

Over HTTP there is one Context per request. Over WebSocket there is one per connection: the
principal is set by `connection_init`, `connection` is the live connection (it can tell whether
the session is still valid and close the socket), and each subscription event gets fresh
DataLoaders (`begin_event`), so a long-lived subscription never serves stale cached objects.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn, Protocol

from strawberry.types import Info as StrawberryInfo

from app.graphql.cost import CostMeter
from app.graphql.errors import Unauthenticated
from app.graphql.loaders import Loaders
from app.http.cookies import ResponseCookies
from domain.ports import EventBroker
from domain.usecases.live_events import EventLog
from domain.usecases.services import Services
from domain.users import Principal

if TYPE_CHECKING:
    from app.graphql.shared_events import SharedEvents

# The loaders of the subscription event being resolved. Each subscription runs in its own task,
# and the resolvers of an event run in (or are spawned from) that task, so a value set here just
# before an event is yielded is what that event's resolvers see.
# Holds [loaders or None]: created on first use, so events whose selection needs no DataLoader
# (scalar fields only) do not build any.
_event_loaders: ContextVar[list[Loaders | None] | None] = ContextVar("event_loaders", default=None)


class LiveConnection(Protocol):
    """The WebSocket connection a subscription runs on (app.http.graphql_ws)."""

    def authorized(self) -> bool:
        """Still allowed to receive anything: token not expired, session not ended."""
        ...

    async def close_unauthorized(self) -> NoReturn:
        """Close the socket (4401) and end the calling subscription."""
        ...

    async def close_too_slow(self) -> NoReturn:
        """Close the socket because a subscriber fell too far behind (1013)."""
        ...

    async def send_text(self, text: str) -> None:
        """Write one protocol message, already serialized (grouped fan-out: app.graphql.
        shared_events); a client that stops reading is closed (1013)."""
        ...


@dataclass(frozen=True, slots=True)
class LiveUpdates:
    broker: EventBroker
    max_pending: int = 256
    log: EventLog | None = None  # one per process (SharedEventLog); None: services.reads
    # One per process: subscribers that would get the same bytes share one execution per
    # event (app.graphql.shared_events); None: every subscription runs on its own.
    shared: SharedEvents | None = None


@dataclass
class Context:
    services: Services
    principal: Principal | None
    request_loaders: Loaders
    client: str  # the caller's address, for rate limits
    request_id: str
    production: bool = False
    live: LiveUpdates | None = None
    connection: LiveConnection | None = None  # WebSocket only
    connection_params: dict[str, object] | None = None  # WebSocket: the connection_init payload
    access_expires_at: datetime | None = None  # WebSocket: when the access token expires
    # HTTP only: cookies for the response (the GraphQL endpoint applies them); None over WebSocket.
    cookies: ResponseCookies | None = None
    # The caller's query-cost budget (app.graphql.cost); None: operations are not metered.
    cost_meter: CostMeter | None = None

    @property
    def loaders(self) -> Loaders:
        holder = _event_loaders.get()
        if holder is None:
            return self.request_loaders
        loaders = holder[0]
        if loaders is None:
            loaders = holder[0] = Loaders(self.services)
        return loaders

    def begin_event(self) -> None:
        """Fresh DataLoaders for the next subscription event (of the current task)."""
        _event_loaders.set([None])

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated()
        return self.principal


Info = StrawberryInfo[Context, None]

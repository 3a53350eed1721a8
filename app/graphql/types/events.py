"""CaseEvent: an entry of a case's append-only timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

import strawberry
from aiodataloader import DataLoader

from app.graphql.context import Info
from app.graphql.fields import field
from app.graphql.relations import then
from app.graphql.types.common import CaseEventType, Node
from app.graphql.types.connections import Connection, connection
from app.graphql.types.from_model import from_model
from app.graphql.types.messages import Message
from app.graphql.types.refunds import Refund, SupportCaseRef
from app.graphql.types.users import User, user_relation
from domain import events as de
from domain import visibility
from domain.users import Principal

M = TypeVar("M")
N = TypeVar("N")


def _visible(
    info: Info,
    loader: DataLoader[str, M | None],
    key: str | None,
    may_see: Callable[[Principal | None, M], bool],
    wrap: Callable[[M], N],
) -> N | None:
    """The object an event names (None: it names none), null unless the viewer may see it."""
    if key is None:
        return None
    principal = info.context.principal

    def visible(found: M | None) -> N | None:
        return wrap(found) if found is not None and may_see(principal, found) else None

    return then(loader.load(key), visible)


@strawberry.type(description="An entry of a case's append-only timeline.")
class CaseEvent(Node):
    model: strawberry.Private[de.CaseEvent]
    cursor: str = strawberry.field(
        description="Pass as `after` to read or subscribe from after this event."
    )
    type: CaseEventType = strawberry.field(description="What happened.")
    occurred_at: datetime = strawberry.field(description="When it happened.")

    @field(description="Who did it (null: the system or the refund policy).")
    def actor(self, info: Info) -> User | None:
        return user_relation(info, self.model.actor_id)

    @field(description="The case.")
    def support_case(self, info: Info) -> SupportCaseRef:
        from app.graphql.types.cases import case_relation

        return case_relation(info, self.model.case_id)

    summary: str = strawberry.field(description="One line describing the change.")
    before: str | None = strawberry.field(
        description="The value before the change, where there is one."
    )
    after: str | None = strawberry.field(
        description="The value after the change, where there is one."
    )

    @field(description="The message, for MESSAGE_POSTED.")
    def message(self, info: Info) -> Message | None:
        return _visible(
            info,
            info.context.loaders.message_by_id,
            self.model.message_id,
            visibility.may_see_message,
            Message.from_domain,
        )

    @field(description="The refund, for REFUND_* events.")
    def refund(self, info: Info) -> Refund | None:
        return _visible(
            info,
            info.context.loaders.refund_by_id,
            self.model.refund_id,
            visibility.may_see_refund,
            Refund.from_domain,
        )

    @classmethod
    def from_domain(cls, event: de.CaseEvent) -> CaseEvent:
        return from_model(cls, event, cursor=str(event.sequence or 0))


if TYPE_CHECKING:
    CaseEventConnection = Connection[CaseEvent]
else:
    CaseEventConnection = connection(
        CaseEvent,
        CaseEvent.from_domain,
        description="A page of a case's timeline, oldest first.",
        edges="The events of this page.",
        edge_description="An edge of a timeline.",
        cursor="Position of this event.",
        node_description="The event.",
    )

"""CaseEvent: an entry of a case's append-only timeline."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from app.graphql.context import Info
from app.graphql.fields import field
from app.graphql.ids import encode_id
from app.graphql.types.common import CaseEventType, Node
from app.graphql.types.connections import Connection, connection
from app.graphql.types.messages import Message
from app.graphql.types.refunds import Refund, SupportCaseRef
from app.graphql.types.users import User, load_user
from domain import events as de
from domain import visibility


@strawberry.type(description="An entry of a case's append-only timeline.")
class CaseEvent(Node):
    model: strawberry.Private[de.CaseEvent]

    @classmethod
    def from_domain(cls, event: de.CaseEvent) -> CaseEvent:
        return cls(id=encode_id("CaseEvent", event.id), model=event)

    @field(description="Pass as `after` to read or subscribe from after this event.")
    def cursor(self) -> str:
        return str(self.model.sequence or 0)

    @field(description="What happened.")
    def type(self) -> CaseEventType:
        return self.model.type

    @field(description="When it happened.")
    def occurred_at(self) -> datetime:
        return self.model.occurred_at

    @field(description="Who did it (null: the system or the refund policy).")
    async def actor(self, info: Info) -> User | None:
        return await load_user(info, self.model.actor_id)

    @field(description="The case.")
    async def support_case(self, info: Info) -> SupportCaseRef:
        from app.graphql.types.cases import case_of

        return await case_of(info, self.model.case_id)

    @field(description="One line describing the change.")
    def summary(self) -> str:
        return self.model.summary

    @field(description="The value before the change, where there is one.")
    def before(self) -> str | None:
        return self.model.before

    @field(description="The value after the change, where there is one.")
    def after(self) -> str | None:
        return self.model.after

    @field(description="The message, for MESSAGE_POSTED.")
    async def message(self, info: Info) -> Message | None:
        if self.model.message_id is None:
            return None
        message = await info.context.loaders.message_by_id.load(self.model.message_id)
        if message is None or not visibility.may_see_message(info.context.principal, message):
            return None
        return Message.from_domain(message)

    @field(description="The refund, for REFUND_* events.")
    async def refund(self, info: Info) -> Refund | None:
        if self.model.refund_id is None:
            return None
        refund = await info.context.loaders.refund_by_id.load(self.model.refund_id)
        if refund is None or not visibility.may_see_refund(info.context.principal, refund):
            return None
        return Refund.from_domain(refund)


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

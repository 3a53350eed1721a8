"""Message: a public message or an internal note on a case."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from app.graphql.context import Info
from app.graphql.fields import field
from app.graphql.ids import encode_id
from app.graphql.types.common import Node
from app.graphql.types.connections import Connection, connection
from app.graphql.types.users import User, load_user
from domain import cases as dc


@strawberry.type(description="A message on a case: public, or an internal note (staff only).")
class Message(Node):
    model: strawberry.Private[dc.Message]

    @classmethod
    def from_domain(cls, message: dc.Message) -> Message:
        return cls(id=encode_id("Message", message.id), model=message)

    @field(description="Plain text.")
    def body(self) -> str:
        return self.model.body

    @field(description="True for an internal note; customers never see those.")
    def internal(self) -> bool:
        return self.model.internal

    @field(description="Who wrote it.")
    async def author(self, info: Info) -> User:
        user = await load_user(info, self.model.author_id)
        assert user is not None
        return user

    @field(description="When it was written.")
    def created_at(self) -> datetime:
        return self.model.created_at


if TYPE_CHECKING:
    MessageConnection = Connection[Message]
else:
    MessageConnection = connection(
        Message,
        Message.from_domain,
        description="A page of messages, oldest first.",
        edges="The messages of this page.",
        edge_description="An edge of a message connection.",
        cursor="Position of this message.",
        node_description="The message.",
    )

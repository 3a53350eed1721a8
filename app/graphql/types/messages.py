"""Message: a public message or an internal note on a case."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from app.graphql.context import Info
from app.graphql.fields import field
from app.graphql.types.common import Node
from app.graphql.types.connections import Connection, connection
from app.graphql.types.from_model import from_model
from app.graphql.types.users import User, required_user
from domain import cases as dc


@strawberry.type(description="A message on a case: public, or an internal note (staff only).")
class Message(Node):
    model: strawberry.Private[dc.Message]
    body: str = strawberry.field(description="Plain text.")
    internal: bool = strawberry.field(
        description="True for an internal note; customers never see those."
    )

    @field(description="Who wrote it.")
    def author(self, info: Info) -> User:
        return required_user(info, self.model.author_id)

    created_at: datetime = strawberry.field(description="When it was written.")

    @classmethod
    def from_domain(cls, message: dc.Message) -> Message:
        return from_model(cls, message)


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

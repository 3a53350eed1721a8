"""User: customers, agents and admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from app.graphql.context import Info
from app.graphql.fields import field
from app.graphql.relations import or_none, required, then
from app.graphql.types.common import Node, Role
from app.graphql.types.connections import Connection, connection
from app.graphql.types.from_model import from_model
from domain import users as du
from domain import visibility


@strawberry.type(description="A customer, agent or admin.")
class User(Node):
    model: strawberry.Private[du.User]
    name: str = strawberry.field(description="Display name.")

    @field(description="Email; only staff and the user themselves can see it.")
    def email(self, info: Info) -> str | None:
        if visibility.may_see_email(info.context.principal, self.model, is_self=self.is_self):
            return self.model.email
        return None

    role: Role = strawberry.field(description="What the user may do.")

    @field(
        description="False once an admin deactivated the user (they cannot log in); "
        "null unless the viewer is an admin."
    )
    def active(self, info: Info) -> bool | None:
        if visibility.may_see_account_state(info.context.principal):
            return self.model.active
        return None

    # The user who just proved who they are (login): their own email, though the request
    # itself is still anonymous.
    is_self: strawberry.Private[bool] = False

    @classmethod
    def from_domain(cls, user: du.User, *, is_self: bool = False) -> User:
        return from_model(cls, user, is_self=is_self)


def user_relation(info: Info, user_id: str | None) -> User | None:
    """The user `user_id` (None: none), through the request's user loader."""
    if user_id is None:
        return None
    return then(info.context.loaders.user_by_id.load(user_id), or_none(User.from_domain))


def required_user(info: Info, user_id: str) -> User:
    """A user a foreign key guarantees (a case's customer, a message's author)."""
    return then(info.context.loaders.user_by_id.load(user_id), required(User.from_domain))


if TYPE_CHECKING:
    UserConnection = Connection[User]
else:
    UserConnection = connection(
        User,
        User.from_domain,
        description="A page of users, by name.",
        edges="The users of this page.",
        edge_description="An edge of a user connection.",
        cursor="Position of this user.",
        node_description="The user.",
    )

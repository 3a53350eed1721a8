"""What the user administration mutations share: their success payload and their shape (an
admin changes one user, named by User.id)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from app.graphql.context import Info
from app.graphql.mutations._run import run_then, user_id
from app.graphql.types.errors import Error
from app.graphql.types.objects import User
from domain.admin import AdminActor
from domain.usecases.services import Services
from domain.users import User as DomainUser

UserChange = Callable[[Services, AdminActor, str], Awaitable[DomainUser]]


@strawberry.type(description="The user after an admin's change.")
class UserUpdated:
    user: User = strawberry.field(description="The user as it is now.")

    @classmethod
    def of(cls, user: DomainUser) -> UserUpdated:
        return cls(user=User.from_domain(user))


async def change_user(info: Info, user_gid: str, change: UserChange) -> UserUpdated | Error:
    """Run `change(services, admin, internal user id)`: the user after it, or the error."""
    actor = AdminActor.of(info.context.require_principal())
    return await run_then(
        lambda: change(info.context.services, actor, user_id(user_gid)), UserUpdated.of
    )

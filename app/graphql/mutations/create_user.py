from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._objects import admin_actor
from app.graphql.mutations._run import run_then
from app.graphql.permissions import IsAdmin
from app.graphql.types.common import Role
from app.graphql.types.errors import ValidationFailed
from app.graphql.types.objects import User
from domain.usecases import admin_users as use_case


@strawberry.input(description="A new user: an agent, an admin, or a customer of the order system.")
class CreateUserInput:
    email: str = strawberry.field(description="Their email (normalized: trimmed, lower case).")
    name: str = strawberry.field(description="Display name.")
    role: Role = strawberry.field(description="What they may do.")
    password: str = strawberry.field(description="Their first password (8..1024 characters).")
    external_customer_id: str | None = strawberry.field(
        default=None,
        description="Customers only (and required for them): the order system's customer id.",
    )


@strawberry.type(description="The user was created.")
class UserCreated:
    user: User = strawberry.field(description="The new user.")


CreateUserResult = UserCreated | ValidationFailed


@mutation(permission_classes=[IsAdmin], description="Create a user (admins). Audited.")
async def create_user(info: Info, input: CreateUserInput) -> CreateUserResult:
    actor = admin_actor(info)
    return await run_then(  # type: ignore[return-value]
        lambda: use_case.create_user(
            info.context.services,
            actor,
            email=input.email,
            name=input.name,
            role=input.role,
            password=input.password,
            external_customer_id=input.external_customer_id,
        ),
        lambda user: UserCreated(user=User.from_domain(user)),
    )

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.mutations._admin import UserUpdated
from app.graphql.mutations._run import internal_id, run
from app.graphql.permissions import IsAdmin
from app.graphql.types.errors import NotFound, ValidationFailed
from app.graphql.types.objects import User
from domain.admin import AdminActor
from domain.usecases import admin_users as use_case


@strawberry.input(description="A user's new password.")
class ResetUserPasswordInput:
    user_id: strawberry.ID = strawberry.field(description="User.id")
    password: str = strawberry.field(description="The new password (8..1024 characters).")


ResetUserPasswordResult = Annotated[
    UserUpdated | NotFound | ValidationFailed,
    strawberry.union("ResetUserPasswordResult", description="The outcome of resetUserPassword."),
]


async def reset_user_password(
    info: Info,
    input: Annotated[
        ResetUserPasswordInput,
        strawberry.argument(description="Everything resetUserPassword needs, in one object."),
    ],
) -> ResetUserPasswordResult:
    principal = info.context.require_principal()

    async def work() -> UserUpdated:
        user = await use_case.reset_user_password(
            info.context.services,
            AdminActor.of(principal),
            internal_id(input.user_id, "User", "User"),
            input.password,
        )
        return UserUpdated(user=User.from_domain(user))

    return await run(work())  # type: ignore[return-value]


field = strawberry.mutation(
    resolver=reset_user_password,
    permission_classes=[IsAdmin],
    description="Set a user's password (admins). Every session of theirs ends. Audited.",
)

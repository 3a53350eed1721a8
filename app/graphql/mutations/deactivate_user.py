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


@strawberry.input(description="Whom deactivateUser is about.")
class DeactivateUserInput:
    user_id: strawberry.ID = strawberry.field(description="User.id")


DeactivateUserResult = Annotated[
    UserUpdated | NotFound | ValidationFailed,
    strawberry.union("DeactivateUserResult", description="The outcome of deactivateUser."),
]


async def deactivate_user(
    info: Info,
    input: Annotated[
        DeactivateUserInput,
        strawberry.argument(description="Everything deactivateUser needs, in one object."),
    ],
) -> DeactivateUserResult:
    principal = info.context.require_principal()

    async def work() -> UserUpdated:
        user = await use_case.deactivate_user(
            info.context.services,
            AdminActor.of(principal),
            internal_id(input.user_id, "User", "User"),
        )
        return UserUpdated(user=User.from_domain(user))

    return await run(work())  # type: ignore[return-value]


field = strawberry.mutation(
    resolver=deactivate_user,
    permission_classes=[IsAdmin],
    description="Deactivate a user (admins; not yourself): they can no longer log in or refresh, "
    "and every session and live connection of theirs ends at once. Audited.",
)

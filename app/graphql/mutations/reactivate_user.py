from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.mutations._admin import UserUpdated
from app.graphql.mutations._run import internal_id, run
from app.graphql.permissions import IsAdmin
from app.graphql.types.errors import NotFound
from app.graphql.types.objects import User
from domain.admin import AdminActor
from domain.usecases import admin_users as use_case


@strawberry.input(description="Whom reactivateUser is about.")
class ReactivateUserInput:
    user_id: strawberry.ID = strawberry.field(description="User.id")


ReactivateUserResult = Annotated[
    UserUpdated | NotFound,
    strawberry.union("ReactivateUserResult", description="The outcome of reactivateUser."),
]


async def reactivate_user(
    info: Info,
    input: Annotated[
        ReactivateUserInput,
        strawberry.argument(description="Everything reactivateUser needs, in one object."),
    ],
) -> ReactivateUserResult:
    principal = info.context.require_principal()

    async def work() -> UserUpdated:
        user = await use_case.reactivate_user(
            info.context.services,
            AdminActor.of(principal),
            internal_id(input.user_id, "User", "User"),
        )
        return UserUpdated(user=User.from_domain(user))

    return await run(work())  # type: ignore[return-value]


field = strawberry.mutation(
    resolver=reactivate_user,
    permission_classes=[IsAdmin],
    description="Let a deactivated user log in again (admins). Their old sessions stay ended. "
    "Audited.",
)

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.mutations._admin import UserUpdated
from app.graphql.mutations._run import internal_id, run
from app.graphql.permissions import IsAdmin
from app.graphql.types.common import Role
from app.graphql.types.errors import NotFound, ValidationFailed
from app.graphql.types.objects import User
from domain.admin import AdminActor
from domain.usecases import admin_users as use_case


@strawberry.input(description="A staff member's new role.")
class ChangeUserRoleInput:
    user_id: strawberry.ID = strawberry.field(description="User.id of an agent or admin.")
    role: Role = strawberry.field(description="AGENT or ADMIN (customers stay customers).")


ChangeUserRoleResult = Annotated[
    UserUpdated | NotFound | ValidationFailed,
    strawberry.union("ChangeUserRoleResult", description="The outcome of changeUserRole."),
]


async def change_user_role(
    info: Info,
    input: Annotated[
        ChangeUserRoleInput,
        strawberry.argument(description="Everything changeUserRole needs, in one object."),
    ],
) -> ChangeUserRoleResult:
    principal = info.context.require_principal()

    async def work() -> UserUpdated:
        user = await use_case.change_user_role(
            info.context.services,
            AdminActor.of(principal),
            internal_id(input.user_id, "User", "User"),
            input.role,
        )
        return UserUpdated(user=User.from_domain(user))

    return await run(work())  # type: ignore[return-value]


field = strawberry.mutation(
    resolver=change_user_role,
    permission_classes=[IsAdmin],
    description="Make an agent an admin or an admin an agent (admins; not yourself). The user's "
    "sessions end, so their next token carries the new role. Audited.",
)

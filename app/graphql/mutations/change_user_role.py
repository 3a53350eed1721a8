from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._admin import UserUpdated, on_user
from app.graphql.permissions import IsAdmin
from app.graphql.types.common import Role
from app.graphql.types.errors import NotFound, ValidationFailed
from domain.usecases import admin_users as use_case


@strawberry.input(description="A staff member's new role.")
class ChangeUserRoleInput:
    user_id: strawberry.ID = strawberry.field(description="User.id of an agent or admin.")
    role: Role = strawberry.field(description="AGENT or ADMIN (customers stay customers).")


ChangeUserRoleResult = UserUpdated | NotFound | ValidationFailed


@mutation(
    permission_classes=[IsAdmin],
    description="Make an agent an admin or an admin an agent (admins; not yourself). The user's "
    "sessions end, so their next token carries the new role. Audited.",
)
async def change_user_role(info: Info, input: ChangeUserRoleInput) -> ChangeUserRoleResult:
    return await on_user(  # type: ignore[return-value]
        info, input.user_id, UserUpdated.of, use_case.change_user_role, input.role
    )

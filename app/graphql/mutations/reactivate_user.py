from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._admin import UserUpdated, on_user
from app.graphql.permissions import IsAdmin
from app.graphql.types.errors import NotFound
from domain.usecases import admin_users as use_case


@strawberry.input(description="Whom reactivateUser is about.")
class ReactivateUserInput:
    user_id: strawberry.ID = strawberry.field(description="User.id")


ReactivateUserResult = UserUpdated | NotFound


@mutation(
    permission_classes=[IsAdmin],
    description="Let a deactivated user log in again (admins). Their old sessions stay ended. "
    "Audited.",
)
async def reactivate_user(info: Info, input: ReactivateUserInput) -> ReactivateUserResult:
    return await on_user(  # type: ignore[return-value]
        info, input.user_id, UserUpdated.of, use_case.reactivate_user
    )

from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._admin import UserUpdated, on_user
from app.graphql.permissions import IsAdmin
from app.graphql.types.errors import NotFound, ValidationFailed
from domain.usecases import admin_users as use_case


@strawberry.input(description="Whom deactivateUser is about.")
class DeactivateUserInput:
    user_id: strawberry.ID = strawberry.field(description="User.id")


DeactivateUserResult = UserUpdated | NotFound | ValidationFailed


@mutation(
    permission_classes=[IsAdmin],
    description="Deactivate a user (admins; not yourself): they can no longer log in or refresh, "
    "and every session and live connection of theirs ends at once. Audited.",
)
async def deactivate_user(info: Info, input: DeactivateUserInput) -> DeactivateUserResult:
    return await on_user(  # type: ignore[return-value]
        info, input.user_id, UserUpdated.of, use_case.deactivate_user
    )

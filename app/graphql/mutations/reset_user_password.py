from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._admin import UserUpdated, on_user
from app.graphql.permissions import IsAdmin
from app.graphql.types.errors import NotFound, ValidationFailed
from domain.usecases import admin_users as use_case


@strawberry.input(description="A user's new password.")
class ResetUserPasswordInput:
    user_id: strawberry.ID = strawberry.field(description="User.id")
    password: str = strawberry.field(description="The new password (8..1024 characters).")


ResetUserPasswordResult = UserUpdated | NotFound | ValidationFailed


@mutation(
    permission_classes=[IsAdmin],
    description="Set a user's password (admins). Every session of theirs ends. Audited.",
)
async def reset_user_password(info: Info, input: ResetUserPasswordInput) -> ResetUserPasswordResult:
    return await on_user(  # type: ignore[return-value]
        info, input.user_id, UserUpdated.of, use_case.reset_user_password, input.password
    )

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._admin import UserUpdated, on_user
from app.graphql.mutations._run import input_argument, result_union
from app.graphql.permissions import IsAdmin
from app.graphql.types.errors import NotFound, ValidationFailed
from domain.usecases import admin_users as use_case


@strawberry.input(description="Whom deactivateUser is about.")
class DeactivateUserInput:
    user_id: strawberry.ID = strawberry.field(description="User.id")


DeactivateUserResult = Annotated[
    UserUpdated | NotFound | ValidationFailed,
    result_union("deactivateUser"),
]


@mutation(
    permission_classes=[IsAdmin],
    description="Deactivate a user (admins; not yourself): they can no longer log in or refresh, "
    "and every session and live connection of theirs ends at once. Audited.",
)
async def deactivate_user(
    info: Info, input: Annotated[DeactivateUserInput, input_argument("deactivateUser")]
) -> DeactivateUserResult:
    return await on_user(  # type: ignore[return-value]
        info, input.user_id, UserUpdated.of, use_case.deactivate_user
    )

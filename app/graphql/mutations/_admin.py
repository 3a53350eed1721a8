"""What the user administration mutations share: their success payload."""

from __future__ import annotations

import strawberry

from app.graphql.types.objects import User


@strawberry.type(description="The user after an admin's change.")
class UserUpdated:
    user: User = strawberry.field(description="The user as it is now.")

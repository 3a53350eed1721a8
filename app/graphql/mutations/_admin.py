"""What the user administration mutations share: their success payload and their shape (an
admin changes one user, named by User.id)."""

from __future__ import annotations

import strawberry

from app.graphql.mutations._objects import OnObject, admin_actor
from app.graphql.mutations._run import user_id
from app.graphql.types.objects import User
from domain.admin import AdminActor
from domain.users import User as DomainUser


@strawberry.type(description="The user after an admin's change.")
class UserUpdated:
    user: User = strawberry.field(description="The user as it is now.")

    @classmethod
    def of(cls, user: DomainUser) -> UserUpdated:
        return cls(user=User.from_domain(user))


on_user: OnObject[AdminActor] = OnObject(admin_actor, user_id)

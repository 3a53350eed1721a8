"""The typed per-request context: who is asking, the use cases, and fresh DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field

from strawberry.types import Info as StrawberryInfo

from app.graphql.errors import ForbiddenError, Unauthenticated
from app.graphql.loaders import Loaders
from domain.usecases.services import Services
from domain.users import Principal


@dataclass
class Context:
    services: Services
    principal: Principal | None
    loaders: Loaders
    client: str  # the caller's address, for rate limits
    request_id: str
    production: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated()
        return self.principal

    def require_staff(self) -> Principal:
        principal = self.require_principal()
        if not principal.is_staff:
            raise ForbiddenError("Only agents and admins may do this")
        return principal


Info = StrawberryInfo[Context, None]

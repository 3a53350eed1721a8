from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._macros import MacroSaved, on_macro
from app.graphql.permissions import IsAgent
from app.graphql.types.errors import Conflict, NotFound, ValidationFailed
from domain.usecases import manage_macros as use_case


@strawberry.input(description="A change to a macro; omitted fields stay as they are.")
class UpdateMacroInput:
    macro_id: strawberry.ID = strawberry.field(description="Macro.id")
    title: str | None = strawberry.field(default=None, description="A new title.")
    body: str | None = strawberry.field(
        default=None, description="A new body (placeholders checked as for createMacro)."
    )


UpdateMacroResult = MacroSaved | ValidationFailed | NotFound | Conflict


@mutation(
    permission_classes=[IsAgent], description="Change a macro's title or body (agents and admins)."
)
async def update_macro(info: Info, input: UpdateMacroInput) -> UpdateMacroResult:
    return await on_macro(  # type: ignore[return-value]
        info,
        input.macro_id,
        MacroSaved.of,
        use_case.update_macro,
        title=input.title,
        body=input.body,
    )

from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.ids import encode_id
from app.graphql.mutations._macros import on_macro
from app.graphql.permissions import IsAgent
from app.graphql.types.errors import NotFound
from domain.usecases import manage_macros as use_case


@strawberry.input(description="The macro to delete.")
class DeleteMacroInput:
    macro_id: strawberry.ID = strawberry.field(description="Macro.id")


@strawberry.type(description="The macro was deleted (messages it posted stay).")
class MacroDeleted:
    deleted_macro_id: strawberry.ID = strawberry.field(description="The deleted Macro.id.")


DeleteMacroResult = MacroDeleted | NotFound


@mutation(
    permission_classes=[IsAgent],
    description="Remove a macro from the shared library (agents and admins).",
)
async def delete_macro(info: Info, input: DeleteMacroInput) -> DeleteMacroResult:
    return await on_macro(  # type: ignore[return-value]
        info,
        input.macro_id,
        lambda deleted: MacroDeleted(deleted_macro_id=encode_id("Macro", deleted)),
        use_case.delete_macro,
    )

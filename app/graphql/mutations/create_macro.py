from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._macros import MacroSaved
from app.graphql.mutations._run import run_then
from app.graphql.permissions import IsAgent
from app.graphql.types.errors import ValidationFailed
from domain.usecases import manage_macros as use_case


@strawberry.input(description="A new macro.")
class CreateMacroInput:
    title: str = strawberry.field(description="A short name for the picker, 1-120 characters.")
    body: str = strawberry.field(
        description="The text, 1-10,000 characters, with {{placeholders}} from "
        "macroPlaceholders; an unknown placeholder is refused (ValidationFailed)."
    )


CreateMacroResult = MacroSaved | ValidationFailed


@mutation(
    permission_classes=[IsAgent],
    description="Add a macro to the shared library (agents and admins).",
)
async def create_macro(info: Info, input: CreateMacroInput) -> CreateMacroResult:
    principal = info.context.require_principal()
    return await run_then(  # type: ignore[return-value]
        lambda: use_case.create_macro(info.context.services, principal, input.title, input.body),
        MacroSaved.of,
    )

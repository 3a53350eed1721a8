from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._macros import macro_id
from app.graphql.mutations._run import case_id, run_then
from app.graphql.permissions import IsAgent
from app.graphql.types.common import CaseStatus
from app.graphql.types.errors import (
    Conflict,
    IdempotencyKeyReused,
    InvalidTransition,
    NotFound,
    OrderUnavailable,
    ValidationFailed,
)
from app.graphql.types.objects import Message, SupportCase
from domain import cases as dc
from domain.usecases import apply_macro as use_case


@strawberry.input(description="Post a macro on a case.")
class ApplyMacroInput:
    case_id: strawberry.ID = strawberry.field(description="SupportCase.id")
    macro_id: strawberry.ID = strawberry.field(description="Macro.id")
    internal: bool = strawberry.field(
        default=False, description="Post it as an internal note instead of a reply."
    )
    status: CaseStatus | None = strawberry.field(
        default=None,
        description="Also move the case to this status, in the same transaction: if the move "
        "is not allowed (InvalidTransition), nothing is posted. Omit (or the current status) "
        "to leave it.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Makes retries safe, as for postMessage: the same key with the same input "
        "returns the first result; with other input, IdempotencyKeyReused.",
    )


@strawberry.type(description="The macro was posted (and the status changed, if asked).")
class MacroApplied:
    posted_message: Message = strawberry.field(description="The new message or note.")
    support_case: SupportCase = strawberry.field(description="The case, after the change.")


ApplyMacroResult = (
    MacroApplied
    | ValidationFailed
    | NotFound
    | InvalidTransition
    | Conflict
    | IdempotencyKeyReused
    | OrderUnavailable
)


def _applied(result: tuple[dc.Message, dc.SupportCase]) -> MacroApplied:
    message, case = result
    return MacroApplied(
        posted_message=Message.from_domain(message), support_case=SupportCase.from_domain(case)
    )


@mutation(
    permission_classes=[IsAgent],
    description="Post a macro on a case as a reply or an internal note, filled from the case, "
    "optionally changing the case's status at the same time (agents and admins).",
)
async def apply_macro(info: Info, input: ApplyMacroInput) -> ApplyMacroResult:
    principal = info.context.require_principal()
    return await run_then(  # type: ignore[return-value]
        lambda: use_case.apply_macro(
            info.context.services,
            principal,
            case_id(input.case_id),
            macro_id(input.macro_id),
            internal=input.internal,
            status=input.status,
            idempotency_key=input.idempotency_key,
        ),
        _applied,
    )

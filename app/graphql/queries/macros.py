"""Canned replies and customer satisfaction."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.errors import (
    ForbiddenError,
    argument_error,
)
from app.graphql.fields import field
from app.graphql.mutations._macros import macro_id as macro_internal_id
from app.graphql.mutations._run import case_id as case_internal_id
from app.graphql.mutations._run import run_then
from app.graphql.permissions import IsAgent
from app.graphql.queries.common import (
    CaseId,
    filter_id,
    read_page,
)
from app.graphql.types.common import (
    AfterArg,
    FirstArg,
)
from app.graphql.types.errors import NotFound, OrderUnavailable, ValidationFailed
from app.graphql.types.macros import (
    MacroConnection,
    MacroPlaceholder,
    MacroPreview,
    placeholders_of,
)
from app.graphql.types.satisfaction import SatisfactionReport
from domain.errors import Forbidden
from domain.errors import ValidationFailed as DomainValidationFailed
from domain.usecases import apply_macro, manage_macros
from domain.usecases.satisfaction_report import satisfaction_report

MacroPreviewResult = Annotated[
    MacroPreview | ValidationFailed | NotFound | OrderUnavailable,
    strawberry.union(
        "MacroPreviewResult",
        description="The filled text, or why the macro cannot be used on this case.",
    ),
]


@strawberry.type
class MacroQueries:
    @field(
        description="The shared macros (canned replies), by title (agents and admins).",
        permission_classes=[IsAgent],
    )
    async def macros(
        self, info: Info, first: FirstArg = 20, after: AfterArg = None
    ) -> MacroConnection:
        principal = info.context.require_principal()
        page = await read_page(
            lambda: manage_macros.list_macros(
                info.context.services, principal, first=first, after=after
            )
        )
        return MacroConnection.from_page(page)

    @field(
        description="Every placeholder a macro body may use (agents and admins).",
        permission_classes=[IsAgent],
    )
    def macro_placeholders(self, info: Info) -> list[MacroPlaceholder]:
        return placeholders_of(manage_macros.placeholders(info.context.require_principal()))

    @field(
        description="What a macro (`macroId`) or an unsaved body (`body`) would post on a case, "
        "filled from it; give exactly one of the two (agents and admins).",
        permission_classes=[IsAgent],
    )
    async def macro_preview(
        self,
        info: Info,
        case_id: CaseId,
        macro_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Macro.id")
        ] = None,
        body: Annotated[
            str | None, strawberry.argument(description="A body to try before saving it.")
        ] = None,
    ) -> MacroPreviewResult:
        principal = info.context.require_principal()
        # The union answers as a mutation's does (an id that does not decode: NotFound).
        return await run_then(  # type: ignore[return-value]
            lambda: apply_macro.preview_macro(
                info.context.services,
                principal,
                case_internal_id(case_id),
                macro_id=macro_internal_id(macro_id) if macro_id is not None else None,
                body=body,
            ),
            MacroPreview.from_domain,
        )

    @field(
        description="Customer satisfaction (ratings of resolved cases) in a period, overall and "
        "per agent; `agentId` narrows it to one agent (agents and admins).",
        permission_classes=[IsAgent],
    )
    async def satisfaction_report(
        self,
        info: Info,
        since: Annotated[
            datetime | None,
            strawberry.argument(description="Start (inclusive); default: 30 days before until."),
        ] = None,
        until: Annotated[
            datetime | None, strawberry.argument(description="End (exclusive); default: now.")
        ] = None,
        agent_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this agent (User.id).")
        ] = None,
    ) -> SatisfactionReport:
        principal = info.context.require_principal()
        try:
            report = await satisfaction_report(
                info.context.services,
                principal,
                since=since,
                until=until,
                agent_id=filter_id(agent_id, "User"),
            )
        except Forbidden as exc:
            raise ForbiddenError(exc.message) from None
        except DomainValidationFailed as exc:
            raise argument_error(exc) from None
        return SatisfactionReport.from_domain(report)

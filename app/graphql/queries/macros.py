"""Canned replies and customer satisfaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.errors import (
    ForbiddenError,
    argument_error,
)
from app.graphql.fields import field
from app.graphql.ids import decode_expected
from app.graphql.permissions import IsAgent
from app.graphql.queries.common import (
    CaseId,
    MacroPreviewResult,
    validation_error,
)
from app.graphql.types.common import (
    AfterArg,
    FirstArg,
)
from app.graphql.types.errors import to_graphql_error
from app.graphql.types.macros import (
    MacroConnection,
    MacroPlaceholder,
    MacroPreview,
    placeholders_of,
)
from app.graphql.types.satisfaction import SatisfactionReport
from domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from domain.usecases import apply_macro, manage_macros
from domain.usecases.satisfaction_report import satisfaction_report


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
        try:
            page = await manage_macros.list_macros(
                info.context.services, principal, first=first, after=after
            )
        except DomainError as exc:
            raise validation_error(exc) from None
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
        try:
            case_internal = decode_expected(case_id, "SupportCase")
            if case_internal is None:
                raise NotFound("Case")
            macro_internal: str | None = None
            if macro_id is not None:
                macro_internal = decode_expected(macro_id, "Macro")
                if macro_internal is None:
                    raise NotFound("Macro")
            rendered = await apply_macro.preview_macro(
                info.context.services,
                principal,
                case_internal,
                macro_id=macro_internal,
                body=body,
            )
        except Forbidden as exc:
            raise ForbiddenError(exc.message) from None
        except DomainError as exc:
            return to_graphql_error(exc)  # type: ignore[return-value]
        return MacroPreview(model=rendered)

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
        end = until or info.context.services.clock.now()
        start = since or end - timedelta(days=30)
        agent: str | None = None
        if agent_id is not None:
            # An id that is not a user's matches nothing rather than everything.
            agent = decode_expected(agent_id, "User") or "-"
        try:
            report = await satisfaction_report(
                info.context.services, principal, since=start, until=end, agent_id=agent
            )
        except Forbidden as exc:
            raise ForbiddenError(exc.message) from None
        except ValidationFailed as exc:
            raise argument_error(exc) from None
        return SatisfactionReport(model=report)

"""The Query type: every read, with visibility decided per principal (domain.visibility and the
query use cases); one module per area, combined here."""

from __future__ import annotations

import strawberry

from app.graphql.queries.admin import AdminQueries
from app.graphql.queries.cases import CaseQueries
from app.graphql.queries.macros import MacroQueries
from app.graphql.queries.orders import OrderQueries


@strawberry.type(description="Reads.")
class Query(CaseQueries, OrderQueries, AdminQueries, MacroQueries):
    pass


__all__ = ["Query"]

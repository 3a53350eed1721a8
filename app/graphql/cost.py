"""What an operation costs, computed from its document before anything runs, and the budget
each caller spends it from (README "Rate limits and query cost" is the partners' version).

The model (points):

- a field that returns objects costs 1 per object it can return; scalars, enums and
  introspection (`__typename`, `__schema`...) are free;
- a connection (a field with a `first` argument) returns up to `first` items (its default when
  absent, capped at the page size limit): the lists directly inside it (`edges`) count `first`
  objects, and everything under them `first` times; nested connections multiply;
- a list without paging (`lines`, `refunds`) counts `unpaged_list_size` objects;
- fragments are added up (the upper bound: one of a union's fragments actually applies);
- a mutation field costs `mutation_cost` plus what its result selects; a subscription costs
  `subscription_cost` plus what one event selects, charged once when it starts.

An operation above `max_operation_cost` is refused (QUERY_TOO_COSTLY) before any resolver runs.
Otherwise the caller (the user, or the client IP when anonymous) spends the cost from a token
bucket (domain.budget) that refills per second, staff having a larger one; an operation that
does not fit is refused (RATE_LIMITED, with `retryAfterSeconds`) and spends nothing.

`CostLimit` is the schema extension doing this. It runs in the validation step, after
ValidationCache (an invalid document costs nothing: it is answered by its validation errors),
and reports `extensions.cost = {requested, remaining, limit, resetSeconds}`; the HTTP view turns
the same report into RateLimit-* headers (and 429 + Retry-After when refused).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType as StrawberryOperationType

from domain.budget import BudgetPolicy, BudgetSpend, CostBudget, bucket_for

log = logging.getLogger("app.graphql.cost")

RATE_LIMITED = "RATE_LIMITED"
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"


@dataclass(frozen=True, slots=True)
class CostRules:
    """The cost model's figures and the budgets (settings: app.settings, `COST_*`)."""

    max_operation_cost: int = 10_000
    mutation_cost: int = 10
    subscription_cost: int = 10
    unpaged_list_size: int = 3
    max_page_size: int = 100
    customer: BudgetPolicy = field(default_factory=lambda: BudgetPolicy(10_000, 100.0))
    staff: BudgetPolicy = field(default_factory=lambda: BudgetPolicy(50_000, 500.0))
    enabled: bool = True


# -- the cost of a document --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Walk:
    schema: GraphQLSchema
    rules: CostRules
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    variable_defaults: Mapping[str, Any]


def select_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == operation_name), None)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
    rules: CostRules | None = None,
) -> int:
    """The points an operation of a (valid) document costs, by the model above."""
    rules = rules or CostRules()
    operation = select_operation(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    defaults: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        if isinstance(definition.default_value, IntValueNode):
            defaults[definition.variable.name.value] = int(definition.default_value.value)
    walk = _Walk(
        schema=schema,
        rules=rules,
        fragments={
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        },
        variables=variables or {},
        variable_defaults=defaults,
    )
    fixed = {
        OperationType.MUTATION: rules.mutation_cost,
        OperationType.SUBSCRIPTION: rules.subscription_cost,
    }.get(operation.operation, 0)
    total = fixed * _root_fields(walk, operation.selection_set, set())
    return total + _selection_cost(walk, operation.selection_set, root, 1, None, set())


def _root_fields(walk: _Walk, selection_set: SelectionSetNode, seen: set[str]) -> int:
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            count += not selection.name.value.startswith("__")
        elif isinstance(selection, InlineFragmentNode):
            count += _root_fields(walk, selection.selection_set, seen)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = walk.fragments.get(selection.name.value)
            if fragment is not None and selection.name.value not in seen:
                count += _root_fields(walk, fragment.selection_set, seen | {selection.name.value})
    return count


def _selection_cost(
    walk: _Walk,
    selection_set: SelectionSetNode,
    parent: Any,
    multiplier: int,
    page: int | None,
    seen: set[str],
) -> int:
    """`page`: the `first` of the connection whose selection this is (None elsewhere)."""
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += _field_cost(walk, selection, parent, multiplier, page, seen)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = walk.schema.get_type(condition.name.value) if condition else parent
            total += _selection_cost(walk, selection.selection_set, target, multiplier, page, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = walk.fragments.get(name)
            if fragment is None or name in seen:
                continue
            target = walk.schema.get_type(fragment.type_condition.name.value)
            total += _selection_cost(
                walk, fragment.selection_set, target, multiplier, page, seen | {name}
            )
    return total


def _field_cost(
    walk: _Walk,
    node: FieldNode,
    parent: Any,
    multiplier: int,
    page: int | None,
    seen: set[str],
) -> int:
    name = node.name.value
    if name.startswith("__") or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return 0
    definition = parent.fields.get(name)
    if definition is None:
        return 0
    named = get_named_type(definition.type)
    if is_leaf_type(named):
        return 0
    count = multiplier
    if is_list_type(get_nullable_type(definition.type)):
        count *= page if page is not None else walk.rules.unpaged_list_size
    child_page = _page_size(walk, node, definition) if "first" in definition.args else None
    if node.selection_set is None:
        return count
    return count + _selection_cost(walk, node.selection_set, named, count, child_page, seen)


def _page_size(walk: _Walk, node: FieldNode, definition: GraphQLField) -> int:
    limit = walk.rules.max_page_size
    value: Any = None
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        if isinstance(argument.value, IntValueNode):
            value = int(argument.value.value)
        elif isinstance(argument.value, VariableNode):
            variable = argument.value.name.value
            value = walk.variables.get(variable, walk.variable_defaults.get(variable))
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        default = definition.args["first"].default_value
        value = default if isinstance(default, int) and not isinstance(default, bool) else limit
    return max(0, min(int(value), limit))


# -- the budget --------------------------------------------------------------------------------


@dataclass
class CostReport:
    requested: int
    spend: BudgetSpend | None  # None: the budget store could not be asked (served anyway)
    refused: str | None = None  # RATE_LIMITED or QUERY_TOO_COSTLY

    def as_extension(self) -> dict[str, Any]:
        spend = self.spend
        return {
            "requested": self.requested,
            "remaining": spend.remaining if spend else None,
            "limit": spend.limit if spend else None,
            "resetSeconds": spend.reset_seconds if spend else None,
        }


@dataclass
class CostMeter:
    """Per request (HTTP) or connection (WebSocket): the budget store, and the last report for
    the HTTP response's headers."""

    budget: CostBudget
    report: CostReport | None = None


class CostLimit(SchemaExtension):
    """Charges each operation's cost to its caller's budget before it runs (see module doc).

    Must come after ValidationCache in the schema's extensions (it reads the validation result;
    without one, it validates the document itself)."""

    def __init__(self, rules: CostRules) -> None:
        super().__init__()
        self.rules = rules
        self.report: CostReport | None = None
        self._reported_once = False

    async def on_validate(self) -> AsyncIterator[None]:
        error = await self._charge()
        if error is not None:
            self.execution_context.pre_execution_errors = [error]
        yield

    async def _charge(self) -> GraphQLError | None:
        ec = self.execution_context
        meter: CostMeter | None = getattr(ec.context, "cost_meter", None)
        document = ec.graphql_document
        if not self.rules.enabled or meter is None or document is None:
            return None
        if ec.pre_execution_errors is None:
            from strawberry.schema.schema import validate_document

            ec.pre_execution_errors = validate_document(
                ec.schema._schema, document, ec.validation_rules
            )
        if ec.pre_execution_errors:
            return None  # answered by its validation errors; nothing runs, nothing is spent
        cost = operation_cost(
            ec.schema._schema,
            document,
            operation_name=ec.operation_name,
            variables=ec.variables,
            rules=self.rules,
        )
        key, policy = bucket_for(
            getattr(ec.context, "principal", None),
            getattr(ec.context, "client", "unknown"),
            customer=self.rules.customer,
            staff=self.rules.staff,
        )
        too_costly = cost > self.rules.max_operation_cost
        try:
            spend: BudgetSpend | None = await meter.budget.spend(
                key, 0 if too_costly else cost, policy
            )
        except Exception:  # noqa: BLE001 - a budget store outage must not stop the API
            log.warning("cost budget unavailable; operation served unmetered", exc_info=True)
            spend = None
        report = CostReport(requested=cost, spend=spend)
        self.report = meter.report = report
        if too_costly:
            report.refused = QUERY_TOO_COSTLY
            return GraphQLError(
                f"This operation would cost {cost} points; the most one operation may cost is "
                f"{self.rules.max_operation_cost}. Ask for smaller pages (`first`) or fewer "
                "nested connections.",
                extensions={
                    "code": QUERY_TOO_COSTLY,
                    "cost": cost,
                    "maximumCost": self.rules.max_operation_cost,
                },
            )
        if spend is not None and not spend.allowed:
            report.refused = RATE_LIMITED
            return GraphQLError(
                f"Rate limit exceeded: this operation costs {cost} points and {spend.remaining} "
                f"are left; retry in {spend.retry_after_seconds} s.",
                extensions={
                    "code": RATE_LIMITED,
                    "retryAfterSeconds": spend.retry_after_seconds,
                    "cost": cost,
                },
            )
        return None

    def get_results(self) -> dict[str, Any]:
        if self.report is None or self._reported_once:
            return {}
        if self.execution_context.operation_type == StrawberryOperationType.SUBSCRIPTION:
            # Charged once, when it starts: reported with its first message, not every event.
            self._reported_once = True
        return {"cost": self.report.as_extension()}

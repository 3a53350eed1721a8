"""Attribute fields resolved by a plain `getattr`.

Strawberry resolves a field without a resolver method (an attribute filled in `from_domain`)
through a wrapper that calls `StrawberryField.get_result`, which calls its default resolver,
which calls `getattr(source, python_name)`. On a page of 50 cases that is ~2,000 fields. After
the schema is built, `direct_attributes` gives each such field a resolver that is the
`getattr` itself, with the same result: only fields Strawberry marked as basic (no resolver,
no permission classes, no extensions) are touched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField


def _attribute(name: str) -> Callable[..., Any]:
    def resolve(source: Any, _info: Any) -> Any:
        return getattr(source, name)

    return resolve


def direct_attributes(schema: GraphQLSchema) -> int:
    """Replace the basic-field wrappers of every object type; returns how many."""
    replaced = 0
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for graphql_field in named.fields.values():
            resolve = graphql_field.resolve
            if resolve is None or not getattr(resolve, "_is_default", False):
                continue
            definition = (graphql_field.extensions or {}).get(
                GraphQLCoreConverter.DEFINITION_BACKREF
            )
            if not isinstance(definition, StrawberryField) or definition.base_resolver:
                continue
            graphql_field.resolve = _attribute(definition.python_name)
            replaced += 1
    return replaced

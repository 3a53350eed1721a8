"""schema.graphql is generated from the code and committed; the client's types come from it."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
)
from graphql import build_schema as build_graphql_schema

from app.schema_export import SCHEMA_PATH, render


def test_committed_schema_matches_the_code() -> None:
    committed = SCHEMA_PATH.read_text()
    assert committed == render(), (
        "schema.graphql is out of date: run `make schema` and commit the result"
    )


def undocumented(schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument, input field and enum value without a description."""
    missing: list[str] = []
    for name, gtype in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Boolean", "ID", "Float"}:
            continue
        if not getattr(gtype, "description", None):
            missing.append(name)
        if isinstance(gtype, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, field in gtype.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in field.args.items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name}:)")
        if isinstance(gtype, GraphQLInputObjectType):
            for field_name, input_field in gtype.fields.items():
                if not input_field.description:
                    missing.append(f"{name}.{field_name}")
        if isinstance(gtype, GraphQLEnumType):
            for value_name, value in gtype.values.items():
                if not value.description:
                    missing.append(f"{name}.{value_name}")
    for directive in schema.directives:
        if directive.name in {"include", "skip", "deprecated", "specifiedBy", "oneOf"}:
            continue  # graphql-core's own, described there
        if not directive.description:
            missing.append(f"@{directive.name}")
        for arg_name, arg in directive.args.items():
            if not arg.description:
                missing.append(f"@{directive.name}({arg_name}:)")
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    """Partners learn the API from GraphiQL's docs panel: nothing may be undocumented."""
    from app.graphql.schema import build_schema

    missing = undocumented(build_schema()._schema)
    assert not missing, f"undocumented: {missing}"


def test_the_description_check_sees_what_is_missing() -> None:
    sdl = """
    "Reads." type Query { "A." a(x: Int, "Y." y: Int): E  b(i: I): Int }
    "E." enum E { "One." ONE TWO }
    "I." input I { "K." k: Int v: Int }
    """
    assert undocumented(build_graphql_schema(sdl)) == [
        "Query.a(x:)",
        "Query.b",
        "Query.b(i:)",
        "E.TWO",
        "I.v",
    ]

"""schema.graphql is generated from the code and committed; the client's types come from it."""

from __future__ import annotations

from app.schema_export import SCHEMA_PATH, render


def test_committed_schema_matches_the_code() -> None:
    committed = SCHEMA_PATH.read_text()
    assert committed == render(), (
        "schema.graphql is out of date: run `make schema` and commit the result"
    )


def test_every_type_and_field_is_described() -> None:
    """Partners learn the API from GraphiQL's docs panel: nothing may be undocumented."""
    from graphql import (
        GraphQLEnumType,
        GraphQLInputObjectType,
        GraphQLInterfaceType,
        GraphQLObjectType,
    )

    from app.graphql.schema import build_schema

    schema = build_schema()._schema
    missing: list[str] = []
    for name, gtype in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Boolean", "ID", "Float"}:
            continue
        if not getattr(gtype, "description", None):
            missing.append(name)
        if isinstance(gtype, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in gtype.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
        if isinstance(gtype, GraphQLEnumType):
            continue
    assert not missing, f"undocumented: {missing}"

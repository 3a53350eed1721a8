"""API.md: a success type never has a field named like a field of `Error` (`message`, `code`)
with another type, so that `... on Error { message code }` can sit beside any member of a result
union in one selection (GraphQL refuses two same-named fields of different types there).

A clashing field that shipped before the rule stays for existing clients, deprecated, beside a
non-clashing replacement: `GRANDFATHERED` lists them, and nothing else may clash."""

from __future__ import annotations

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    is_union_type,
)

from app.graphql.schema import build_schema as build_app_schema
from app.schema_export import SCHEMA_PATH as SCHEMA_FILE

# Deprecated, clashing fields kept for released clients: member.field -> its replacement.
GRANDFATHERED = {"MessagePosted.message": "postedMessage"}


def clashes(schema: GraphQLSchema, *, deprecated: bool = False) -> list[str]:
    """`Union.Member.field: Type (Error.field: Type)` for every clash in `schema` (between
    non-deprecated fields; with `deprecated`, between deprecated ones only)."""
    error = schema.get_type("Error")
    assert isinstance(error, GraphQLInterfaceType), "the Error interface is gone"
    found = []
    for union in schema.type_map.values():
        if not is_union_type(union):
            continue
        assert isinstance(union, GraphQLUnionType)
        for member in union.types:
            if error in member.interfaces:
                continue
            for name, error_field in error.fields.items():
                field = member.fields.get(name)
                if field is None or (field.deprecation_reason is not None) != deprecated:
                    continue
                if str(field.type) != str(error_field.type):
                    found.append(
                        f"{union.name}.{member.name}.{name}: {field.type} "
                        f"(Error.{name}: {error_field.type})"
                    )
    return found


def test_no_success_type_clashes_with_error_in_the_code() -> None:
    schema = build_app_schema()._schema
    assert clashes(schema) == []


def test_only_grandfathered_fields_clash_and_they_point_to_their_replacement() -> None:
    schema = build_app_schema()._schema
    found = {entry.split(".", 1)[1].split(":")[0] for entry in clashes(schema, deprecated=True)}
    assert found == set(GRANDFATHERED)
    for path, replacement in GRANDFATHERED.items():
        member, name = path.split(".")
        gtype = schema.get_type(member)
        assert isinstance(gtype, GraphQLObjectType)
        reason = gtype.fields[name].deprecation_reason or ""
        assert replacement in reason, (path, reason)
        assert replacement in gtype.fields, f"{member}.{replacement} is missing"


def test_no_success_type_clashes_with_error_in_schema_graphql() -> None:
    assert clashes(build_schema(SCHEMA_FILE.read_text())) == []


def test_the_check_finds_a_clash() -> None:
    # The control: a success type with `message: Message!` (what MessagePosted had) is caught.
    sdl = """
    enum ErrorCode { NOT_FOUND }
    interface Error { message: String! code: ErrorCode! }
    type Message { id: ID! }
    type Posted { message: Message! ok: Boolean! old: Message @deprecated(reason: "x") }
    type Coded { code: Int }
    type Fine { message: String! code: ErrorCode! }
    type NotFound implements Error { message: String! code: ErrorCode! }
    union PostResult = Posted | Coded | Fine | NotFound
    type Query { x: PostResult }
    """
    assert clashes(build_schema(sdl)) == [
        "PostResult.Posted.message: Message! (Error.message: String!)",
        "PostResult.Coded.code: Int (Error.code: ErrorCode!)",
    ]
    deprecated = sdl.replace(
        "message: Message! ok", 'message: Message! @deprecated(reason: "y") ok'
    )
    assert clashes(build_schema(deprecated)) == [
        "PostResult.Coded.code: Int (Error.code: ErrorCode!)"
    ]
    assert clashes(build_schema(deprecated), deprecated=True) == [
        "PostResult.Posted.message: Message! (Error.message: String!)"
    ]


def test_every_mutation_returns_a_result_union() -> None:
    # What the walk relies on: mutation results are unions (so it covers every success type).
    schema = build_app_schema()._schema
    mutation = schema.mutation_type
    assert isinstance(mutation, GraphQLObjectType)
    for name, field in mutation.fields.items():
        named = field.type.of_type if hasattr(field.type, "of_type") else field.type
        assert is_union_type(named), f"Mutation.{name} returns {field.type}, not a result union"

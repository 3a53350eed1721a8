"""Small helpers shared by the API test modules (setup shortcuts, checks)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from graphql import (
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

from tests.api.conftest import Api

# The GraphQL documents live in the toolbox; re-exported here for the API suites.
from tests.toolbox.graphql import (  # noqa: F401
    APPROVE_REFUND,
    ASSIGN,
    CANCEL_REFUND,
    CHANGE_STATUS,
    OPEN_CASE,
    POST_MESSAGE,
    REJECT_REFUND,
    REQUEST_REFUND,
    RETRY_REFUND,
    SET_PRIORITY,
    gid,
    order_gid,
)


def unique(prefix: str = "t") -> str:
    """A word no other test uses (for searching among the cases of the whole session)."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def codes(body: dict[str, Any]) -> list[str | None]:
    """The `extensions.code` of every top-level error of a response body."""
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


async def open_case(
    api: Api,
    token: str,
    order_id: str | None = None,
    *,
    subject: str = "Broken item",
    category: str = "REFUND_REQUEST",
    **extra: Any,
) -> dict[str, Any]:
    """Opens a case and returns the SupportCase of the CaseOpened result."""
    data = await api.gql.ok(
        OPEN_CASE,
        {
            "input": {
                "subject": subject,
                "description": "It arrived damaged.",
                "category": category,
                "orderId": order_gid(order_id) if order_id else None,
                **extra,
            }
        },
        token,
    )
    assert data["openCase"]["__typename"] == "CaseOpened", data
    case: dict[str, Any] = data["openCase"]["supportCase"]
    return case


async def request_refund(api: Api, token: str, case_id: str, **fields: Any) -> dict[str, Any]:
    data = await api.gql.ok(REQUEST_REFUND, {"input": {"caseId": case_id, **fields}}, token)
    result: dict[str, Any] = data["requestRefund"]
    return result


async def post_message(
    api: Api, token: str, case_id: str, body: str, *, internal: bool = False
) -> dict[str, Any]:
    data = await api.gql.ok(
        POST_MESSAGE, {"input": {"caseId": case_id, "body": body, "internal": internal}}, token
    )
    result: dict[str, Any] = data["postMessage"]
    return result


async def viewer_id(api: Api, token: str) -> str:
    data = await api.gql.ok("{ viewer { id } }", token=token)
    user_id: str = data["viewer"]["id"]
    return user_id


def dump(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False)


# -- walking the schema ---------------------------------------------------------------------


def id_paths(type_: Any, prefix: str, seen: tuple[str, ...] = ()) -> list[str]:
    """Every path below an argument that ends in an ID (through input objects and lists)."""
    named = get_named_type(type_)
    if named is GraphQLID:
        return [prefix]
    paths: list[str] = []
    if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        for name, field in named.fields.items():
            paths += id_paths(field.type, f"{prefix}.{name}", (*seen, named.name))
    return paths


def id_taking_fields(schema: GraphQLSchema) -> set[str]:
    """`Type.field(arg.path)` for every argument path ending in an ID, on every object type
    (Query, Mutation, and nested fields of the node types)."""
    found: set[str] = set()
    for type_name, type_ in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(type_, GraphQLObjectType):
            continue
        for field_name, field in type_.fields.items():
            for arg_name, arg in field.args.items():
                for path in id_paths(arg.type, arg_name):
                    found.add(f"{type_name}.{field_name}({path})")
    return found

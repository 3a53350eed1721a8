"""app.graphql.mutations._run.selects_type: the refund mutations answer OrderUnavailable only to
callers whose selection names it (docs/api.md), whichever way the document spells it."""

from __future__ import annotations

from typing import Annotated

import pytest
import strawberry

from app.graphql.mutations._run import selects_type


@strawberry.type
class Done:
    ok: bool


@strawberry.type
class OrderUnavailable:
    reason: str


@strawberry.type
class Query:
    @strawberry.field
    def outcome(
        self, info: strawberry.Info
    ) -> Annotated[Done | OrderUnavailable, strawberry.union("Outcome")]:
        if selects_type(info, "OrderUnavailable"):  # type: ignore[arg-type]
            return OrderUnavailable(reason="down")
        return Done(ok=False)


schema = strawberry.Schema(query=Query)


@pytest.mark.parametrize(
    ("document", "selected"),
    [
        ("{ outcome { __typename ... on Done { ok } } }", False),
        ("{ outcome { __typename } }", False),
        ("{ outcome { __typename ... on OrderUnavailable { reason } } }", True),
        ("{ outcome { ...f } } fragment f on OrderUnavailable { reason }", True),
        ("{ outcome { ...o } } fragment o on Outcome { ... on OrderUnavailable { reason } }", True),
        ("{ outcome { ... { ... on OrderUnavailable { reason } } } }", True),
        ("{ outcome { ...o } } fragment o on Outcome { ... on Done { ok } }", False),
        (
            "{ a: outcome { ... on Done { ok } } "
            "b: outcome { ... on OrderUnavailable { reason } } }",
            None,
        ),
    ],
)
async def test_a_fragment_on_the_type_opts_in(document: str, selected: bool | None) -> None:
    result = await schema.execute(document)
    assert result.errors is None, result.errors
    assert result.data is not None
    if selected is None:  # per field: each alias decides for itself
        assert result.data["a"] == {"ok": False}
        assert result.data["b"] == {"reason": "down"}
        return
    got = result.data["outcome"]
    assert ("reason" in got or got.get("__typename") == "OrderUnavailable") is selected, got

"""Issue 10: a document sent again is neither parsed nor validated again.

The validation cache is keyed by the query text and the validation rules; the rules must be the
same objects on every request (a limiter created per request brings new rule classes and the
cache never hits, which is how it went unnoticed before: 0 hits measured)."""

from __future__ import annotations

from app.graphql.schema import build_schema

QUERY = "query Twice { __typename }"


async def test_the_second_identical_request_hits_the_validation_cache() -> None:
    schema = build_schema()
    first = await schema.execute(QUERY)
    second = await schema.execute(QUERY)

    assert first.errors is None and second.errors is None
    assert first.data == second.data == {"__typename": "Query"}
    assert (schema.validated.misses, schema.validated.hits) == (1, 1)


async def test_another_document_misses_and_an_invalid_one_keeps_its_errors() -> None:
    schema = build_schema()
    await schema.execute(QUERY)
    await schema.execute("query Other { __typename }")
    assert (schema.validated.misses, schema.validated.hits) == (2, 0)

    bad = "query Bad { noSuchField }"
    once = await schema.execute(bad)
    again = await schema.execute(bad)
    assert once.errors and again.errors
    assert [e.message for e in once.errors] == [e.message for e in again.errors]
    assert "noSuchField" in once.errors[0].message
    assert (schema.validated.misses, schema.validated.hits) == (3, 1)


async def test_the_cache_is_bounded() -> None:
    schema = build_schema()
    schema.validated.maxsize = 3
    for n in range(5):
        await schema.execute(f"query Q{n} {{ __typename }}")
    await schema.execute("query Q0 { __typename }")  # evicted: validated again
    assert schema.validated.hits == 0 and schema.validated.misses == 6

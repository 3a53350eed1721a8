"""Automatic persisted queries (Apollo's APQ protocol): a hash alone runs a query this process
has seen with that hash; an unknown hash is PersistedQueryNotFound (the client then sends the
text with its hash); a hash that is not the text's SHA-256 is refused and stores nothing."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from graphql import GraphQLError

from app.http.persisted_queries import PersistedQueries
from tests.api.conftest import Api

VIEWER = "query Me {{ viewer {{ name role }} __typename }} # {}"


def apq(sha: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


async def post(api: Api, body: dict[str, Any], token: str) -> dict[str, Any]:
    response = await api.http.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_the_apollo_round_trip(api: Api) -> None:
    token = await api.token("agent@example.com")
    query = VIEWER.format(uuid.uuid4().hex)  # a text no other test stored
    sha = hashlib.sha256(query.encode()).hexdigest()

    first = await post(api, {"extensions": apq(sha)}, token)
    assert first["errors"][0]["message"] == "PersistedQueryNotFound", first
    assert first["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert first.get("data") is None

    registered = await post(api, {"query": query, "extensions": apq(sha)}, token)
    assert "errors" not in registered, registered
    assert registered["data"]["viewer"]["role"] == "AGENT"

    by_hash = await post(api, {"extensions": apq(sha.upper())}, token)
    assert by_hash["data"] == registered["data"]


async def test_a_hash_that_is_not_the_texts_is_refused_and_not_stored(api: Api) -> None:
    token = await api.token("agent@example.com")
    query = VIEWER.format(uuid.uuid4().hex)
    other = hashlib.sha256(b"something else").hexdigest()

    refused = await post(api, {"query": query, "extensions": apq(other)}, token)
    assert refused["errors"][0]["message"] == "provided sha does not match query", refused
    assert refused.get("data") is None

    still_unknown = await post(api, {"extensions": apq(other)}, token)
    assert still_unknown["errors"][0]["message"] == "PersistedQueryNotFound"


async def test_a_malformed_persisted_query_is_a_bad_request(api: Api) -> None:
    token = await api.token("agent@example.com")
    body = await post(
        api, {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": "x"}}}, token
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST", body


def test_the_store_is_a_bounded_lru() -> None:
    store = PersistedQueries(max_entries=2)
    texts = [f"{{ __typename }} # {n}" for n in range(3)]
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    for text, sha in zip(texts, hashes, strict=True):
        assert store.resolve(text, apq(sha)) == text
    assert len(store) == 2
    assert store.resolve(None, apq(hashes[2])) == texts[2]
    with pytest.raises(GraphQLError, match="PersistedQueryNotFound"):
        store.resolve(None, apq(hashes[0]))  # the oldest was evicted

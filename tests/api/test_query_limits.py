"""Query limits and transport hygiene: depth, aliases, tokens, page sizes, body size, batching,
GET, GraphiQL, introspection in production, masked errors, hostile strings."""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import ProgrammingError

from adapters.sql.migrate import upgrade_to_head
from app.settings import Settings
from tests.api._helpers import (
    OPEN_CASE,
    POST_MESSAGE,
    REQUEST_REFUND,
    codes,
    dump,
    open_case,
    post_message,
    request_refund,
    unique,
)
from tests.api.conftest import Api, Customer, running_api
from tests.toolbox.graphql import GraphQLClient
from tests.toolbox.services import REDIS_URL

# -- depth, aliases, tokens -------------------------------------------------------------------


def nested(levels: int) -> str:
    """A query whose deepest field is `levels` fields down (cases -> refunds -> case -> ...)."""
    chain = ["supportCases", "edges", "node"]
    while len(chain) < levels - 1:
        chain += ["refunds", "supportCase"]
    chain = chain[: levels - 1]
    query = "id" if chain[-1] in ("node", "supportCase") else "status"
    for name in reversed(chain):
        query = f"{name} {{ {query} }}"
    return "{ " + query + " }"


def assert_refused(body: dict[str, Any], pattern: str) -> None:
    assert body.get("data") is None, body
    messages = " ".join(e["message"] for e in body["errors"])
    assert re.search(pattern, messages, re.IGNORECASE), body


async def test_depth_beyond_the_limit_is_refused(api: Api) -> None:
    token = (await api.new_customer()).token
    limit = api.settings.max_query_depth
    assert "supportCases" in (await api.gql.ok(nested(limit), token=token))
    assert_refused(await api.gql(nested(limit + 2), token=token), "depth")
    assert_refused(await api.gql(nested(limit + 20), token=token), "depth")


async def test_more_aliases_than_allowed_are_refused(api: Api) -> None:
    token = (await api.new_customer()).token
    limit = api.settings.max_aliases

    def aliased(count: int) -> str:
        return "{ " + " ".join(f"a{i}: viewer {{ name }}" for i in range(count)) + " }"

    assert len(await api.gql.ok(aliased(limit), token=token)) == limit
    assert_refused(await api.gql(aliased(limit + 1), token=token), "alias")


async def test_a_query_over_the_token_limit_is_refused(api: Api) -> None:
    token = (await api.new_customer()).token
    limit = api.settings.max_tokens

    def repeated(values: int) -> str:  # a long list literal: many tokens, cheap to validate
        statuses = " ".join(["OPEN"] * values)
        return f"{{ supportCases(filter: {{status: [{statuses}]}}) {{ edges {{ cursor }} }} }}"

    assert "supportCases" in await api.gql.ok(repeated(limit - 100), token=token)
    assert_refused(await api.gql(repeated(limit + 1), token=token), "token")


# -- page sizes and cursors -------------------------------------------------------------------


@pytest.fixture
async def customer_with_case(api: Api) -> tuple[Customer, str, str]:
    customer = await api.new_customer()
    subject = f"Page size probe {unique()}"
    case = await open_case(api, customer.token, customer.order_ids["delivered"], subject=subject)
    await post_message(api, customer.token, case["id"], f"message of {subject}")
    return customer, case["id"], subject


PAGED = {
    "supportCases": (
        "query($f: Int, $a: String) { supportCases(first: $f, after: $a) "
        "{ edges { node { id subject } } } }",
        "customer",
    ),
    "messages": (
        "query($id: ID!, $f: Int, $a: String) { supportCase(id: $id) { subject "
        "messages(first: $f, after: $a) { edges { node { body } } } } }",
        "customer",
    ),
    "timeline": (
        "query($id: ID!, $f: Int, $a: String) { supportCase(id: $id) { subject "
        "timeline(first: $f, after: $a) { edges { node { summary } } } } }",
        "customer",
    ),
    "refunds": (
        "query($f: Int, $a: String) { refunds(first: $f, after: $a) "
        "{ edges { node { id note } } } }",
        "agent",
    ),
    "myOrders": (
        "query($f: Int, $a: String) { myOrders(first: $f, after: $a) "
        "{ edges { node { id number } } } }",
        "customer",
    ),
}


def assert_refused_without_leak(body: dict[str, Any], subject: str) -> None:
    assert body.get("errors"), body
    assert codes(body) == ["BAD_USER_INPUT"], body
    text = dump(body)
    assert subject not in text and '"edges"' not in text, body
    assert "Unexpected error." not in text, body


@pytest.mark.parametrize("first", [0, 101, -1])
@pytest.mark.parametrize("name", sorted(PAGED))
async def test_page_size_outside_1_to_100_is_refused(
    api: Api, customer_with_case: tuple[Customer, str, str], name: str, first: int
) -> None:
    customer, case_id, subject = customer_with_case
    query, who = PAGED[name]
    token = customer.token if who == "customer" else await api.token("agent@example.com")
    # Control: a legal page size answers with data.
    assert await api.gql.ok(query, {"id": case_id, "f": 100}, token)
    body = await api.gql(query, {"id": case_id, "f": first}, token)
    assert_refused_without_leak(body, subject)


def b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


INVALID_CURSORS = [
    "garbage",
    "",
    "x" * 600,
    b64('["user","2024-01-01T00:00:00+00:00","x"]'),  # no list's kind
    b64('["case","not a date","x"]'),
    b64('["case","2024-01-01T00:00:00","x"]'),  # naive timestamp
    b64("{}"),
    "-1",
    "1e9",
    "' OR 1=1 --",
    b64('["case","2024-01-01T00:00:00+00:00","\\u0000"]'),  # NUL inside the id
]


@pytest.mark.parametrize("cursor", INVALID_CURSORS)
@pytest.mark.parametrize("name", ["supportCases", "messages", "timeline", "refunds"])
async def test_invalid_cursors_are_errors_without_leaks(
    api: Api, customer_with_case: tuple[Customer, str, str], name: str, cursor: str
) -> None:
    customer, case_id, subject = customer_with_case
    query, who = PAGED[name]
    token = customer.token if who == "customer" else await api.token("agent@example.com")
    body = await api.gql(query, {"id": case_id, "f": 5, "a": cursor}, token)
    assert body.get("errors"), body
    text = dump(body)
    assert subject not in text and '"edges"' not in text, body
    for leak in LEAKS:
        assert leak not in text, (leak, body)


async def test_a_cursor_of_another_list_is_refused(
    api: Api, customer_with_case: tuple[Customer, str, str]
) -> None:
    customer, case_id, subject = customer_with_case
    data = await api.gql.ok(
        "{ supportCases(first: 1) { pageInfo { endCursor } } }", token=customer.token
    )
    case_cursor = data["supportCases"]["pageInfo"]["endCursor"]
    assert case_cursor
    for name in ("messages", "timeline"):
        body = await api.gql(
            PAGED[name][0], {"id": case_id, "f": 5, "a": case_cursor}, customer.token
        )
        assert_refused_without_leak(body, subject)


# -- transport --------------------------------------------------------------------------------


def too_big(api: Api) -> bytes:
    query = "{ viewer { name } }"
    padding = " " * (api.settings.max_body_bytes + 1 - len(query) + 20)
    return json.dumps({"query": query + padding}).encode()


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


async def test_a_body_over_the_limit_is_413_with_content_length(api: Api) -> None:
    body = too_big(api)
    response = await api.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.request.headers["content-length"] == str(len(body))
    assert_too_large(response)


async def test_a_body_over_the_limit_is_413_when_streamed_without_length(api: Api) -> None:
    body = too_big(api)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    response = await api.http.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_too_large(response)


async def test_a_body_under_the_limit_is_served(api: Api) -> None:
    query = "{ __typename }"
    padding = " " * (api.settings.max_body_bytes - 200)
    response = await api.http.post("/graphql", json={"query": query + padding})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"__typename": "Query"}


async def test_batched_requests_are_refused(api: Api) -> None:
    token = (await api.new_customer()).token
    response = await api.http.post(
        "/graphql",
        json=[{"query": "{ viewer { name } }"}, {"query": "{ viewer { id } }"}],
        headers={"Authorization": f"Bearer {token}"},
    )
    assert 400 <= response.status_code < 500, response.text
    assert '"viewer"' not in response.text


@pytest.mark.parametrize("accept", ["application/json", "*/*"])
async def test_get_does_not_execute_queries(api: Api, accept: str) -> None:
    token = (await api.new_customer()).token
    response = await api.http.get(
        "/graphql",
        params={"query": "{ viewer { name } }"},
        headers={"Accept": accept, "Authorization": f"Bearer {token}"},
    )
    assert response.status_code != 200 or '"data"' not in response.text, response.text
    assert "Test Customer" not in response.text
    mutation = await api.http.get(
        "/graphql",
        params={"query": 'mutation { logout(input: {refreshToken: "x"}) { __typename } }'},
        headers={"Accept": accept},
    )
    assert "InvalidRefreshToken" not in mutation.text


async def test_graphiql_is_served_from_local_assets(api: Api) -> None:
    response = await api.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "graphiql" in page.lower()
    assets = [
        ref
        for ref in re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', page)
        if not ref.startswith("data:")
    ]
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    assert all(a.startswith("/static/") for a in assets), assets
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", page, re.IGNORECASE), page
    for asset in assets:
        loaded = await api.http.get(asset)
        assert loaded.status_code == 200, asset
        assert len(loaded.content) > 0, asset


# -- introspection in production --------------------------------------------------------------


@pytest.fixture
async def production(tmp_path: Path) -> AsyncIterator[tuple[GraphQLClient, str]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'production.db'}"
    await upgrade_to_head(url)
    settings = Settings(
        app_env="production",
        jwt_secret=secrets.token_urlsafe(48),
        order_webhook_secret="x" * 40,
        database_url=url,
        redis_url=REDIS_URL,
        # Required in production; never called by these tests (login and introspection).
        order_system_url="http://127.0.0.1:9",
        payment_gateway_url="http://127.0.0.1:9",
        data_dir=tmp_path,
    )
    async with running_api(settings, client_host="127.0.0.88") as production:
        yield production.gql, await production.gql.login("alice@example.com")


INTROSPECTION = [
    "{ __schema { queryType { name } types { name } } }",
    '{ __type(name: "SupportCase") { name fields { name } } }',
    "query { viewer { name } __schema { types { name } } }",
]


@pytest.mark.parametrize("query", INTROSPECTION)
async def test_anonymous_introspection_is_refused_in_production(
    production: tuple[GraphQLClient, str], query: str
) -> None:
    gql, token = production
    body = await gql(query)
    assert body.get("data") is None, body
    assert body["errors"], body
    for type_name in ("SupportCase", "RefundQuote", "CaseEventConnection", "OPEN"):
        assert type_name not in dump(body), body
    allowed = await gql.ok(query, token=token)  # partners log in and use GraphiQL
    assert "__schema" in allowed or "__type" in allowed


async def test_introspection_is_allowed_outside_production(api: Api) -> None:
    # Control for the above: the same query, anonymous, on the test (non-production) app.
    data = await api.gql.ok(INTROSPECTION[0])
    assert data["__schema"]["queryType"]["name"] == "Query"


# -- masked errors ----------------------------------------------------------------------------

SECRET_SQL = "SELECT secret FROM users WHERE password_hash = 'x'"


def leaks(api: Api) -> list[str]:
    return [
        *LEAKS,
        api.settings.jwt_secret.get_secret_value(),
        str(api.settings.database_url).rsplit("/", 1)[-1],
    ]


LEAKS = ["SELECT", "Traceback", "sqlalchemy", "asyncpg", "psycopg", "/work/", ".py", 'File "']


def explode(*args: Any, **kwargs: Any) -> Any:
    raise ProgrammingError(SECRET_SQL, {"id": 1}, Exception("relation secret does not exist"))


@pytest.fixture
def broken_reads(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    reads = api.runtime.services.reads
    monkeypatch.setattr(reads, "list_cases", explode)
    monkeypatch.setattr(reads, "users_by_ids", explode)
    monkeypatch.setattr(reads, "list_messages", explode)
    monkeypatch.setattr(reads, "message_pages_for_cases", explode)  # SupportCase.messages
    yield


@pytest.mark.parametrize(
    "query",
    [
        "{ supportCases { edges { node { id } } } }",
        "{ viewer { id name } }",
        'query { supportCase(id: "x") { id } supportCases { edges { node { id } } } }',
    ],
)
async def test_unexpected_errors_are_masked(api: Api, broken_reads: None, query: str) -> None:
    customer = await api.new_customer()
    response = await api.gql.raw(query, token=customer.token)
    text = response.text
    assert "Unexpected error." in text, text
    for leak in leaks(api):
        assert leak not in text, (leak, text)
    assert response.status_code in (200, 500)


async def test_masked_errors_inside_nested_fields(api: Api, broken_reads: None) -> None:
    customer = await api.new_customer()
    data = await api.gql.ok(OPEN_CASE, _case(subject="Nested boom"), customer.token)
    case_id = data["openCase"]["supportCase"]["id"]
    response = await api.gql.raw(
        "query($id: ID!) { supportCase(id: $id) { messages { edges { node { body } } } } }",
        {"id": case_id},
        customer.token,
    )
    assert "Unexpected error." in response.text
    for leak in leaks(api):
        assert leak not in response.text, (leak, response.text)


# -- hostile strings (PostgreSQL refuses NUL bytes: they must never get that far) -------------


def _case(**values: Any) -> dict[str, Any]:
    return {
        "input": {
            "subject": "Fine subject",
            "description": "Fine description",
            "category": "OTHER",
            **values,
        }
    }


def raw_json(payload: dict[str, Any]) -> bytes:
    """ASCII JSON: lone surrogates survive as \\udxxx escapes (httpx would refuse them)."""
    return json.dumps(payload, ensure_ascii=True).encode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "Hello\x00World"),
        ("subject", "\x00"),
        ("subject", "Red \x1b[31malert"),
        ("subject", "Two\nlines"),
        ("subject", "Bell\x07"),
        ("subject", "Lone \ud800 surrogate"),
        ("description", "Bytes \x00 here"),
        ("description", "Escape \x1b[2J"),
        ("description", "Delete \x7f"),
    ],
)
async def test_control_characters_in_a_case_are_validation_failed(
    api: Api, field: str, value: str
) -> None:
    customer = await api.new_customer()
    response = await api.http.post(
        "/graphql",
        content=raw_json({"query": OPEN_CASE, "variables": _case(**{field: value})}),
        headers={"Authorization": f"Bearer {customer.token}", "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    result = body["data"]["openCase"]
    assert result["__typename"] == "ValidationFailed", result
    assert result["code"] == "VALIDATION_FAILED"
    assert [f["field"] for f in result["fields"]] == [field]


@pytest.mark.parametrize("value", ["\x00", "Hi\x00there", "Beep\x07", "Lone \udfff"])
async def test_control_characters_in_a_message_are_validation_failed(api: Api, value: str) -> None:
    customer = await api.new_customer()
    case = await open_case(api, customer.token, subject="Controls", category="OTHER")
    response = await api.http.post(
        "/graphql",
        content=raw_json(
            {"query": POST_MESSAGE, "variables": {"input": {"caseId": case["id"], "body": value}}}
        ),
        headers={"Authorization": f"Bearer {customer.token}", "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    result = response.json()["data"]["postMessage"]
    assert result["__typename"] == "ValidationFailed", result
    assert [f["field"] for f in result["fields"]] == ["body"]
    # Control: multi-line text with tabs is fine.
    ok = await post_message(api, customer.token, case["id"], "line one\n\tline two")
    assert ok["__typename"] == "MessagePosted"


async def test_control_characters_elsewhere_never_reach_the_database(api: Api) -> None:
    customer = await api.new_customer()
    case = await open_case(api, customer.token, customer.order_ids["delivered"])
    note = await request_refund(
        api, customer.token, case["id"], reason="OTHER", amount=100, note="why\x00not"
    )
    assert note["__typename"] == "ValidationFailed", note
    assert [f["field"] for f in note["fields"]] == ["note"]

    search = await api.gql(
        "query($s: String) { supportCases(filter: {search: $s}) { edges { node { id } } } }",
        {"s": "kettle\x00"},
        customer.token,
    )
    assert codes(search) == ["BAD_USER_INPUT"], search

    login = await api.gql(
        'mutation($e: String!) { login(input: {email: $e, password: "x"}) { __typename } }',
        {"e": "alice\x00@example.com"},
    )
    assert login["data"] == {"login": {"__typename": "InvalidCredentials"}}, login
    assert "errors" not in login, login

    refund = await api.gql(
        REQUEST_REFUND,
        {"input": {"caseId": "U3VwcG9ydENhc2U6AA", "reason": "DAMAGED", "amount": 1}},
        customer.token,
    )  # base64 of "SupportCase:\x00"
    assert refund["data"]["requestRefund"]["__typename"] == "NotFound", refund

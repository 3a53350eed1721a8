"""Tokens over HTTP: bad access tokens are a 401, sessions rotate and end, logins are limited."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from adapters.sql.migrate import upgrade_to_head
from app.settings import Settings
from tests.api.conftest import Api, running_api
from tests.toolbox.graphql import GraphQLClient

VIEWER = "{ viewer { id role } }"

LOGIN = """mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {
  __typename
  ... on AuthSession { accessToken refreshToken accessTokenExpiresAt user { id } }
  ... on RateLimited { retryAfterSeconds }
  ... on Error { message code }
}}"""

REFRESH = """mutation($t: String!) { refreshSession(input: {refreshToken: $t}) {
  __typename
  ... on AuthSession { accessToken refreshToken }
  ... on Error { message code }
}}"""

LOGOUT = """mutation($t: String!) { logout(input: {refreshToken: $t}) {
  __typename
  ... on LoggedOut { ok }
  ... on Error { message code }
}}"""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


async def login(api: Api | GraphQLClient, email: str, password: str = "demo-password") -> dict:
    gql = api.gql if isinstance(api, Api) else api
    data = await gql.ok(LOGIN, {"e": email, "p": password})
    result: dict[str, Any] = data["login"]
    return result


async def viewer_status(api: Api, authorization: str) -> httpx.Response:
    return await api.http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": authorization}
    )


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body.get("data") is None, body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"], body


@pytest.fixture
async def claims(api: Api) -> dict[str, Any]:
    """The claims of a real, live access token: variations of it differ in one thing only."""
    customer = await api.new_customer()
    decoded: dict[str, Any] = jwt.decode(customer.token, options={"verify_signature": False})
    return decoded


def sign(api: Api, claims: dict[str, Any], **changes: Any) -> str:
    headers = {"kid": api.settings.jwt_key_id, "typ": "JWT", **changes.pop("headers", {})}
    key = changes.pop("key", api.settings.jwt_secret.get_secret_value())
    algorithm = changes.pop("algorithm", "HS256")
    payload = {**claims, **changes}
    for name in [k for k, v in payload.items() if v is None]:
        del payload[name]
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


async def test_a_correctly_signed_copy_of_the_claims_is_accepted(
    api: Api, claims: dict[str, Any]
) -> None:
    # The control for the cases below: only the one change makes them fail.
    response = await viewer_status(api, f"Bearer {sign(api, claims)}")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"]["role"] == "CUSTOMER"


def _alg_none(api: Api, claims: dict[str, Any]) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": api.settings.jwt_key_id}
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}."


BAD_TOKENS = {
    "forged signature": lambda api, c: sign(api, c, key="an-attacker-s-own-secret-0123456789abc"),
    "expired": lambda api, c: sign(
        api, c, iat=int(time.time()) - 3600, nbf=int(time.time()) - 3600, exp=int(time.time()) - 60
    ),
    "alg none": _alg_none,
    "alg none, signature kept": lambda api, c: _alg_none(api, c) + sign(api, c).rsplit(".", 1)[1],
    "HS512 (algorithm not pinned)": lambda api, c: sign(api, c, algorithm="HS512"),
    "wrong audience": lambda api, c: sign(api, c, aud="another-api"),
    "wrong issuer": lambda api, c: sign(api, c, iss="someone-else"),
    "unknown kid": lambda api, c: sign(api, c, headers={"kid": "k-unknown"}),
    "no kid": lambda api, c: jwt.encode(
        c, api.settings.jwt_secret.get_secret_value(), algorithm="HS256"
    ),
    "no jti": lambda api, c: sign(api, c, jti=None),
    "no exp": lambda api, c: sign(api, c, exp=None),
    "unknown session": lambda api, c: sign(api, c, sid="no-such-session"),
    "garbage": lambda api, c: "not.a.jwt",
    "empty-ish": lambda api, c: "....",
}


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS512 variant
@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
async def test_bad_access_tokens_get_401(api: Api, claims: dict[str, Any], kind: str) -> None:
    token = BAD_TOKENS[kind](api, claims)
    assert_unauthenticated(await viewer_status(api, f"Bearer {token}"))


@pytest.mark.parametrize(
    "authorization",
    ["Basic YWxpY2VAZXhhbXBsZS5jb206ZGVtby1wYXNzd29yZA==", "Bearer", "Token abc", "bearer  "],
)
async def test_other_authorization_schemes_get_401(api: Api, authorization: str) -> None:
    assert_unauthenticated(await viewer_status(api, authorization))


async def test_wrong_password_and_unknown_email_look_the_same(api: Api) -> None:
    customer = await api.new_customer()
    wrong = await login(api, customer.email, "not-the-password")
    unknown = await login(api, f"nobody-{customer.email}", "not-the-password")
    assert wrong["__typename"] == "InvalidCredentials", wrong
    assert unknown == wrong
    assert wrong["code"] == "INVALID_CREDENTIALS"
    ok = await login(api, customer.email)
    assert ok["__typename"] == "AuthSession"  # control: the account exists


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(api: Api) -> None:
    customer = await api.new_customer()
    first = await login(api, customer.email)
    assert first["__typename"] == "AuthSession", first

    second = (await api.gql.ok(REFRESH, {"t": first["refreshToken"]}))["refreshSession"]
    assert second["__typename"] == "AuthSession", second
    assert second["refreshToken"] != first["refreshToken"]
    assert second["accessToken"] != first["accessToken"]
    works = await viewer_status(api, f"Bearer {second['accessToken']}")
    assert works.status_code == 200 and works.json()["data"]["viewer"]["id"] == first["user"]["id"]

    # The rotated token comes back (someone kept a copy): refused, and the family is revoked.
    reused = (await api.gql.ok(REFRESH, {"t": first["refreshToken"]}))["refreshSession"]
    assert reused["__typename"] == "InvalidRefreshToken", reused
    newest = (await api.gql.ok(REFRESH, {"t": second["refreshToken"]}))["refreshSession"]
    assert newest["__typename"] == "InvalidRefreshToken", newest
    assert_unauthenticated(await viewer_status(api, f"Bearer {second['accessToken']}"))
    assert_unauthenticated(await viewer_status(api, f"Bearer {first['accessToken']}"))

    # Other sessions of the same user are not affected.
    other = await login(api, customer.email)
    assert (await viewer_status(api, f"Bearer {other['accessToken']}")).status_code == 200


async def test_a_refresh_token_works_once(api: Api) -> None:
    customer = await api.new_customer()
    first = await login(api, customer.email)
    second = (await api.gql.ok(REFRESH, {"t": first["refreshToken"]}))["refreshSession"]
    again = (await api.gql.ok(REFRESH, {"t": first["refreshToken"]}))["refreshSession"]
    assert [second["__typename"], again["__typename"]] == ["AuthSession", "InvalidRefreshToken"]
    assert again["code"] == "INVALID_REFRESH_TOKEN"


async def test_logout_ends_the_session_at_once(api: Api) -> None:
    customer = await api.new_customer()
    session = await login(api, customer.email)
    bearer = f"Bearer {session['accessToken']}"
    assert (await viewer_status(api, bearer)).status_code == 200

    out = (await api.gql.ok(LOGOUT, {"t": session["refreshToken"]}))["logout"]
    assert out == {"__typename": "LoggedOut", "ok": True}
    assert_unauthenticated(await viewer_status(api, bearer))
    refresh = (await api.gql.ok(REFRESH, {"t": session["refreshToken"]}))["refreshSession"]
    assert refresh["__typename"] == "InvalidRefreshToken"
    again = (await api.gql.ok(LOGOUT, {"t": session["refreshToken"]}))["logout"]
    assert again["__typename"] == "InvalidRefreshToken"


@pytest.fixture
async def limited_app(tmp_path: Path) -> AsyncIterator[GraphQLClient]:
    """A separate app allowing 3 logins a minute: SQLite and the in-process rate limiter."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'limited.db'}"
    await upgrade_to_head(url)
    settings = Settings(
        app_env="test",
        database_url=url,
        redis_url=None,
        login_attempts_per_minute=3,
        data_dir=tmp_path,
    )
    async with running_api(settings, client_host="127.0.0.77") as limited:
        yield limited.gql


async def test_login_attempts_are_rate_limited(limited_app: GraphQLClient) -> None:
    results = [await login(limited_app, "alice@example.com", "wrong") for _ in range(3)]
    assert [r["__typename"] for r in results] == ["InvalidCredentials"] * 3
    # The fourth attempt within the minute is refused, even with the right password.
    limited = await login(limited_app, "alice@example.com")
    assert limited["__typename"] == "RateLimited", limited
    assert limited["code"] == "RATE_LIMITED"
    assert 0 < limited["retryAfterSeconds"] <= 60

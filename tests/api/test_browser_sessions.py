"""Browser sessions over real HTTP: startBrowserSession sets the refresh token as an httpOnly
cookie (never in the body), POST /auth/refresh rotates it, POST /auth/logout ends the session;
both need the CSRF header."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest

from app.http.cookies import ResponseCookies, cookies_secure
from tests.api.conftest import Api
from tests.toolbox.graphql import gid

START = """mutation($e: String!, $p: String!) {
  startBrowserSession(input: {email: $e, password: $p}) {
    __typename
    ... on BrowserSession { accessToken accessTokenExpiresAt user { id name email role } }
    ... on RateLimited { retryAfterSeconds }
    ... on Error { message code }
  }
}"""
VIEWER = "{ viewer { id name email role } }"
CSRF = {"X-Requested-With": "support-web"}


@dataclass
class SetCookie:
    value: str
    attributes: dict[str, str]  # lower-case names; flags map to ""
    raw: str


def refresh_cookie(response: httpx.Response) -> SetCookie | None:
    """The support_refresh Set-Cookie of a response (None: the response sets none)."""
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith("support_refresh=")]
    assert len(found) <= 1, found
    if not found:
        return None
    raw = found[0]
    parsed = SimpleCookie()
    parsed.load(raw)
    morsel = parsed["support_refresh"]
    attributes: dict[str, str] = {}
    for part in raw.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return SetCookie(value=morsel.value, attributes=attributes, raw=raw)


class Browser:
    """Talks to the app like a browser would, but with the cookie under the test's control:
    `cookie` is what the browser holds now (updated from every Set-Cookie)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.cookie: str | None = None

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookie is not None:
            headers["Cookie"] = f"support_refresh={self.cookie}"
        response = await self.http.post(path, headers=headers, **kwargs)
        self.http.cookies.clear()  # the test decides what is sent next
        set_cookie = refresh_cookie(response)
        if set_cookie is not None:
            self.cookie = set_cookie.value or None
        return response

    async def start(self, email: str, password: str = "demo-password") -> httpx.Response:
        return await self.post(
            "/graphql", json={"query": START, "variables": {"e": email, "p": password}}
        )

    async def refresh(self, *, csrf: bool = True) -> httpx.Response:
        return await self.post("/auth/refresh", headers=CSRF if csrf else {})

    async def logout(self, *, csrf: bool = True) -> httpx.Response:
        return await self.post("/auth/logout", headers=CSRF if csrf else {})


@pytest.fixture
async def browser(api: Api) -> AsyncIterator[Browser]:
    transport = httpx.ASGITransport(app=api.app, client=("127.0.0.7", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield Browser(http)


async def viewer(api: Api, access_token: str) -> httpx.Response:
    return await api.http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {access_token}"}
    )


async def test_start_sets_the_refresh_cookie_and_keeps_it_out_of_the_body(
    api: Api, browser: Browser
) -> None:
    customer = await api.new_customer("Cookie Customer")
    response = await browser.start(customer.email)
    assert response.status_code == 200, response.text
    result = response.json()["data"]["startBrowserSession"]
    assert result["__typename"] == "BrowserSession", result
    assert result["user"] == {
        "id": gid("User", customer.user_id),
        "name": "Cookie Customer",
        "email": customer.email,
        "role": "CUSTOMER",
    }
    assert datetime.fromisoformat(result["accessTokenExpiresAt"]).tzinfo is not None

    cookie = refresh_cookie(response)
    assert cookie is not None, response.headers
    assert len(cookie.value) >= 32
    assert cookie.value not in response.text, "the refresh token must not be in the body"
    assert "refreshToken" not in response.text
    assert "httponly" in cookie.attributes, cookie.raw
    assert cookie.attributes["samesite"] == "Strict", cookie.raw
    assert cookie.attributes["path"] == "/auth", cookie.raw
    assert "secure" not in cookie.attributes, "plain http in development: not Secure"
    assert int(cookie.attributes["max-age"]) == pytest.approx(
        api.settings.refresh_token_ttl_seconds, abs=5
    )
    assert response.headers["cache-control"] == "no-store"

    # The access token is a real one.
    me = await viewer(api, result["accessToken"])
    assert me.status_code == 200
    assert me.json()["data"]["viewer"]["id"] == result["user"]["id"]


async def test_cookie_is_secure_over_https(api: Api) -> None:
    customer = await api.new_customer()
    transport = httpx.ASGITransport(app=api.app, client=("127.0.0.7", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="https://api.test") as http:
        browser = Browser(http)
        response = await browser.start(customer.email)
        assert response.json()["data"]["startBrowserSession"]["__typename"] == "BrowserSession"
        cookie = refresh_cookie(response)
        assert cookie is not None and "secure" in cookie.attributes, response.headers
        refreshed = await browser.refresh()
        assert refreshed.status_code == 200, refreshed.text
        cookie = refresh_cookie(refreshed)
        assert cookie is not None and "secure" in cookie.attributes, refreshed.headers


def test_cookies_are_secure_in_production_whatever_the_scheme() -> None:
    # Behind a TLS-terminating proxy the app sees http: production still marks them Secure.
    assert cookies_secure("http", production=True)
    assert cookies_secure("https", production=False)
    assert not cookies_secure("http", production=False)
    cookies = ResponseCookies(secure=cookies_secure("http", production=True))
    cookies.set_refresh_token("t", 60)
    assert cookies.changes[0].secure
    assert cookies.changes[0].header() == (
        "support_refresh=t; HttpOnly; SameSite=Strict; Path=/auth; Max-Age=60; Secure"
    )
    # Nothing can smuggle attributes or headers through a value.
    for bad in ("a; Domain=evil.example", "a\r\nSet-Cookie: x=y", 'a"b'):
        with pytest.raises(ValueError):
            cookies.set_refresh_token(bad, 60)


async def test_wrong_password_sets_no_cookie(api: Api, browser: Browser) -> None:
    customer = await api.new_customer()
    response = await browser.start(customer.email, "wrong-password")
    result = response.json()["data"]["startBrowserSession"]
    assert result["__typename"] == "InvalidCredentials", result
    assert refresh_cookie(response) is None


async def test_refresh_rotates_the_cookie_and_answers_the_session(
    api: Api, browser: Browser
) -> None:
    customer = await api.new_customer("Rotating Customer")
    started = (await browser.start(customer.email)).json()["data"]["startBrowserSession"]
    first_cookie = browser.cookie
    assert first_cookie is not None

    response = await browser.refresh()
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"accessToken", "accessTokenExpiresAt", "user"}, body
    assert body["user"] == started["user"], "the same user, with the same global id as GraphQL"
    assert datetime.fromisoformat(body["accessTokenExpiresAt"]).tzinfo is not None
    cookie = refresh_cookie(response)
    assert cookie is not None
    assert cookie.value != first_cookie, "rotated"
    assert cookie.value not in response.text
    assert "httponly" in cookie.attributes and cookie.attributes["path"] == "/auth"
    assert cookie.attributes["samesite"] == "Strict"
    assert int(cookie.attributes["max-age"]) > 3600

    me = await viewer(api, body["accessToken"])
    assert me.status_code == 200 and me.json()["data"]["viewer"]["id"] == started["user"]["id"]

    # And again: each new cookie works once.
    again = await browser.refresh()
    assert again.status_code == 200, again.text


async def test_a_reused_cookie_ends_the_whole_session(api: Api, browser: Browser) -> None:
    customer = await api.new_customer()
    await browser.start(customer.email)
    stolen = browser.cookie
    refreshed = await browser.refresh()
    assert refreshed.status_code == 200
    access_token = refreshed.json()["accessToken"]
    current = browser.cookie
    assert (await viewer(api, access_token)).status_code == 200

    browser.cookie = stolen  # someone replays the old cookie
    reused = await browser.refresh()
    assert reused.status_code == 401, reused.text
    assert reused.json()["error"]["code"] == "INVALID_REFRESH_TOKEN"
    assert reused.headers["cache-control"] == "no-store"
    cleared = refresh_cookie(reused)
    assert cleared is not None and cleared.value == "" and cleared.attributes["max-age"] == "0"
    assert cleared.attributes["path"] == "/auth"

    # The family is dead: the legitimate holder's newest cookie and access token stop working.
    browser.cookie = current
    assert (await browser.refresh()).status_code == 401
    assert (await viewer(api, access_token)).status_code == 401


async def test_refresh_without_or_with_a_bad_cookie_is_401_and_clears_it(
    api: Api, browser: Browser
) -> None:
    missing = await browser.refresh()
    assert missing.status_code == 401, missing.text
    assert missing.json() == {
        "error": {"code": "INVALID_REFRESH_TOKEN", "message": missing.json()["error"]["message"]}
    }
    assert missing.json()["error"]["message"]
    cleared = refresh_cookie(missing)
    assert cleared is not None and cleared.attributes["max-age"] == "0"

    browser.cookie = "not-a-real-refresh-token"
    forged = await browser.refresh()
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "INVALID_REFRESH_TOKEN"


async def test_the_csrf_header_is_required(api: Api, browser: Browser) -> None:
    customer = await api.new_customer()
    await browser.start(customer.email)
    held = browser.cookie
    for headers in ({}, {"X-Requested-With": "XMLHttpRequest"}):
        for path in ("/auth/refresh", "/auth/logout"):
            response = await browser.post(path, headers=headers)
            assert response.status_code == 403, (path, headers, response.text)
            assert response.json()["error"]["code"] == "CSRF_HEADER_MISSING"
            assert response.headers["cache-control"] == "no-store"
            assert refresh_cookie(response) is None
    # Nothing was consumed or ended: the cookie still works.
    assert browser.cookie == held
    assert (await browser.refresh()).status_code == 200


async def test_logout_ends_the_session_at_once(api: Api, browser: Browser) -> None:
    customer = await api.new_customer()
    started = (await browser.start(customer.email)).json()["data"]["startBrowserSession"]
    refreshed = await browser.refresh()
    tokens = [started["accessToken"], refreshed.json()["accessToken"]]
    held = browser.cookie
    for token in tokens:
        assert (await viewer(api, token)).status_code == 200

    response = await browser.logout()
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"
    cleared = refresh_cookie(response)
    assert cleared is not None and cleared.value == "" and cleared.attributes["max-age"] == "0"
    assert cleared.attributes["path"] == "/auth"

    for token in tokens:
        assert (await viewer(api, token)).status_code == 401
    browser.cookie = held
    assert (await browser.refresh()).status_code == 401

    # Idempotent: again with the dead cookie, and with none at all.
    assert (await browser.logout()).status_code == 204
    browser.cookie = None
    again = await browser.logout()
    assert again.status_code == 204
    assert refresh_cookie(again) is not None


async def test_only_post(api: Api, browser: Browser) -> None:
    for path in ("/auth/refresh", "/auth/logout"):
        response = await browser.http.get(path, headers=CSRF)
        assert response.status_code == 405, response.text
        assert "text/html" not in response.headers["content-type"]


async def test_body_token_mode_is_unchanged(api: Api) -> None:
    # login keeps returning the refresh token in the body and sets no cookie.
    customer = await api.new_customer()
    response = await api.gql.raw(
        'mutation($e: String!) { login(input: {email: $e, password: "demo-password"}) '
        "{ __typename ... on AuthSession { refreshToken } } }",
        {"e": customer.email},
    )
    assert response.json()["data"]["login"]["refreshToken"]
    assert "set-cookie" not in response.headers


async def test_over_the_websocket_it_is_refused(api: Api) -> None:
    # A WebSocket answer cannot set a cookie: no session is started there.
    from tests.toolbox.ws import asgi_ws

    customer = await api.new_customer()
    async with asgi_ws(api.app) as ws:
        await ws.init_ok(customer.token)
        await ws.subscribe("1", START, {"e": customer.email, "p": "demo-password"})
        message = await ws.next_for("1")
    assert message["type"] == "next", message
    payload = message["payload"]
    assert payload["data"] is None, payload
    assert [e["extensions"]["code"] for e in payload["errors"]] == ["BAD_REQUEST"], payload
    assert "HTTP POST" in payload["errors"][0]["message"]


async def test_a_cross_site_form_cannot_start_a_session(api: Api, browser: Browser) -> None:
    # Login CSRF: a form can only send text/plain, urlencoded or multipart bodies; /graphql
    # takes JSON only, which a cross-site page can send only after a CORS preflight.
    customer = await api.new_customer()
    body = json.dumps({"query": START, "variables": {"e": customer.email, "p": "demo-password"}})
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = await browser.post(
            "/graphql", content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code == 400, (content_type, response.text)
        assert refresh_cookie(response) is None

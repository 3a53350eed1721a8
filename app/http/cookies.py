"""Cookies a request handler asks the HTTP layer to set or clear.

Browser sessions keep their refresh token in an httpOnly cookie (never in JavaScript's reach).
A GraphQL resolver cannot touch the HTTP response, so it records what it wants on the
context's `ResponseCookies`; the GraphQL endpoint applies the list to the response it sends.
The /auth endpoints (app.http.browser_session) use the same helpers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from starlette.responses import Response

# The refresh token of a browser session: sent by the browser to /auth/* only.
REFRESH_COOKIE = "support_refresh"
REFRESH_COOKIE_PATH = "/auth"


@dataclass(frozen=True, slots=True)
class CookieChange:
    """One Set-Cookie: `max_age` 0 with an empty value clears the cookie."""

    name: str
    value: str
    max_age: int
    path: str
    secure: bool
    http_only: bool = True
    same_site: Literal["strict", "lax", "none"] = "strict"

    def apply(self, response: Response) -> None:
        response.set_cookie(
            self.name,
            self.value,
            max_age=self.max_age,
            path=self.path,
            secure=self.secure,
            httponly=self.http_only,
            samesite=self.same_site,
        )


@dataclass(slots=True)
class ResponseCookies:
    """The cookies one HTTP response will set. `secure`: the request came over https, or the
    service runs in production (behind a TLS-terminating proxy the scheme reads http)."""

    secure: bool
    changes: list[CookieChange] = field(default_factory=list)

    def set_refresh_token(self, token: str, max_age_seconds: int) -> None:
        self.changes.append(
            CookieChange(
                name=REFRESH_COOKIE,
                value=token,
                max_age=max(0, max_age_seconds),
                path=REFRESH_COOKIE_PATH,
                secure=self.secure,
            )
        )

    def clear_refresh_token(self) -> None:
        self.changes.append(
            CookieChange(
                name=REFRESH_COOKIE,
                value="",
                max_age=0,
                path=REFRESH_COOKIE_PATH,
                secure=self.secure,
            )
        )

    def apply(self, response: Response) -> None:
        """Adds every change to `response`; a response that sets a cookie is never cached."""
        for change in self.changes:
            change.apply(response)
        if self.changes:
            response.headers["Cache-Control"] = "no-store"


def cookies_secure(scheme: str, *, production: bool) -> bool:
    return production or scheme in ("https", "wss")

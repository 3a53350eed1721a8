"""Cookies a request handler asks the HTTP layer to set or clear.

Browser sessions keep their refresh token in an httpOnly cookie (never in JavaScript's reach).
A GraphQL resolver cannot touch the HTTP response, so it records what it wants on the
context's `ResponseCookies`; the GraphQL endpoint applies the list to the response it sends.
The /auth endpoints (app.http.browser_session) use the same helpers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from starlette.responses import Response

# The refresh token of a browser session: sent by the browser to /auth/* only.
REFRESH_COOKIE = "support_refresh"
REFRESH_COOKIE_PATH = "/auth"


_TOKEN_VALUE = re.compile(r"[A-Za-z0-9._~-]*")  # what refresh tokens are made of (urlsafe)
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


@dataclass(frozen=True, slots=True)
class CookieChange:
    """One Set-Cookie: `max_age` 0 with an empty value clears the cookie. Always HttpOnly and
    SameSite=Strict (nothing here needs a script-readable or cross-site cookie)."""

    name: str
    value: str
    max_age: int
    path: str
    secure: bool

    def __post_init__(self) -> None:
        if not _TOKEN_VALUE.fullmatch(self.value) or not _TOKEN_VALUE.fullmatch(self.name):
            raise ValueError("cookie names and values here are URL-safe tokens")

    def header(self) -> str:
        parts = [
            f"{self.name}={self.value}",
            "HttpOnly",
            "SameSite=Strict",
            f"Path={self.path}",
            f"Max-Age={self.max_age}",
        ]
        if self.max_age == 0:
            parts.append(f"Expires={_EPOCH}")  # for clients that predate Max-Age
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)

    def apply(self, response: Response) -> None:
        response.headers.append("set-cookie", self.header())


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

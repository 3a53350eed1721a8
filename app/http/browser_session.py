"""The browser-session endpoints, next to the GraphQL mutation `startBrowserSession`:

- `POST /auth/refresh`: trades the refresh cookie for a new access token and a new cookie (the
  same rotation as `refreshSession`: a reused token ends the whole session).
  200 `{"accessToken", "accessTokenExpiresAt", "user": {"id", "name", "email", "role"}}`;
  401 `{"error": {"code": "INVALID_REFRESH_TOKEN", "message"}}` (cookie cleared) when the cookie
  is missing, unknown, expired, revoked or already used.
- `POST /auth/logout`: ends the session server-side (like the `logout` mutation: its access
  tokens stop working at once) and clears the cookie; 204 whatever the cookie (idempotent).

Both require the header `X-Requested-With: support-web`, else 403
`{"error": {"code": "CSRF_HEADER_MISSING", ...}}`: a cross-site form cannot send it, and a
cross-site script cannot either without a CORS preflight this service never grants. The cookie
itself is SameSite=Strict, httpOnly, Path=/auth. Every answer is `Cache-Control: no-store`.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.graphql.ids import encode_id
from app.http.cookies import REFRESH_COOKIE, ResponseCookies, cookies_secure
from app.http.endpoint import RequestEndpoint
from domain.errors import InvalidRefreshToken
from domain.usecases import sessions
from domain.usecases.services import Services

log = logging.getLogger("app.auth")

CSRF_HEADER = "X-Requested-With"
CSRF_VALUE = "support-web"
REFRESH_PATH = "/auth/refresh"
LOGOUT_PATH = "/auth/logout"
NO_STORE = {"Cache-Control": "no-store"}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        {"error": {"code": code, "message": message}},
        status_code=status,
        headers={**NO_STORE, **(headers or {})},
    )


class BrowserSessionEndpoint(RequestEndpoint):
    """POST /auth/refresh and POST /auth/logout (one ASGI endpoint; the path picks the action)."""

    def __init__(self, services: Services, *, production: bool) -> None:
        self.services = services
        self.production = production

    async def handle(self, request: Request) -> Response:
        if request.method != "POST":
            return _error(405, "METHOD_NOT_ALLOWED", "POST only", {"Allow": "POST"})
        if request.headers.get(CSRF_HEADER) != CSRF_VALUE:
            return _error(
                403,
                "CSRF_HEADER_MISSING",
                f"Send the header {CSRF_HEADER}: {CSRF_VALUE} with this request",
            )
        cookies = ResponseCookies(
            secure=cookies_secure(request.url.scheme, production=self.production)
        )
        token = request.cookies.get(REFRESH_COOKIE) or None
        if request.url.path == LOGOUT_PATH:
            await self._logout(token)
            cookies.clear_refresh_token()
            response = Response(status_code=204)
        else:
            response = await self._refresh(token, cookies)
        cookies.apply(response)
        response.headers.update(NO_STORE)
        return response

    async def _refresh(self, token: str | None, cookies: ResponseCookies) -> Response:
        try:
            if token is None:
                raise InvalidRefreshToken()
            tokens = await sessions.refresh_session(self.services, token)
        except InvalidRefreshToken as exc:
            cookies.clear_refresh_token()
            return _error(401, exc.code.value, "The session has ended; log in again")
        lifetime = tokens.refresh_expires_at - self.services.clock.now()
        cookies.set_refresh_token(tokens.refresh_token, int(lifetime.total_seconds()))
        return JSONResponse(_session_json(tokens))

    async def _logout(self, token: str | None) -> None:
        if token is None:
            return
        try:
            await sessions.logout(self.services, token)
        except InvalidRefreshToken:
            log.info("browser logout: the session was unknown or had already ended")


def _session_json(tokens: sessions.SessionTokens) -> dict[str, Any]:
    user = tokens.user
    return {
        "accessToken": tokens.access.token,
        "accessTokenExpiresAt": tokens.access.expires_at.isoformat(),
        "user": {
            "id": str(encode_id("User", user.id)),
            "name": user.name,
            "email": user.email,
            "role": user.role.value,
        },
    }

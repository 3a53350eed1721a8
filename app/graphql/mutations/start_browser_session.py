"""startBrowserSession: login for the web client. The refresh token goes into an httpOnly
cookie (`support_refresh`, Path=/auth, SameSite=Strict), never into the response body, so page
scripts cannot read it; POST /auth/refresh and POST /auth/logout use it (app.http.browser_session).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.errors import PublicError
from app.graphql.fields import mutation
from app.graphql.mutations._run import run
from app.graphql.mutations.login import LoginInput
from app.graphql.types.errors import InvalidCredentials, RateLimited, ValidationFailed
from app.graphql.types.objects import User
from domain.usecases import sessions


@strawberry.type(
    description="A browser session: the access token, for memory only. The refresh token is in "
    "the httpOnly cookie `support_refresh` (sent to /auth/* only); POST /auth/refresh with the "
    "header `X-Requested-With: support-web` gets a new access token, POST /auth/logout ends it."
)
class BrowserSession:
    access_token: str = strawberry.field(
        description="Send as `Authorization: Bearer <token>`; keep it in memory only."
    )
    access_token_expires_at: datetime = strawberry.field(
        description="When to refresh (POST /auth/refresh)."
    )
    user: User = strawberry.field(description="Who is logged in.")


StartBrowserSessionResult = BrowserSession | InvalidCredentials | RateLimited | ValidationFailed


@mutation(
    description="Log in from a browser: like `login`, but the refresh token is set as an "
    "httpOnly cookie instead of being returned."
)
async def start_browser_session(
    info: Info,
    input: Annotated[
        LoginInput, strawberry.argument(description="The email and password, in one object.")
    ],
) -> StartBrowserSessionResult:
    ctx = info.context
    cookies = ctx.cookies
    if cookies is None:
        raise PublicError("startBrowserSession sets a cookie: call it over HTTP POST /graphql")

    async def work() -> BrowserSession:
        tokens = await sessions.login(ctx.services, input.email, input.password, client=ctx.client)
        lifetime = tokens.refresh_expires_at - ctx.services.clock.now()
        cookies.set_refresh_token(tokens.refresh_token, int(lifetime.total_seconds()))
        return BrowserSession(
            access_token=tokens.access.token,
            access_token_expires_at=tokens.access.expires_at,
            user=User.from_domain(tokens.user, is_self=True),
        )

    return await run(work())  # type: ignore[return-value]
